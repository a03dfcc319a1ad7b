using System.Globalization;
using System.Text.Json;

namespace TrainingService.Cli.Predictions;

/// <summary>One input row and where in the file it came from, such as "line 5", so errors can point at it.</summary>
internal sealed record InputRowLine(float[] Values, string Location);

/// <summary>
/// Reads Predict's input rows of raw feature values: CSV with one row per line, or a JSON array of arrays of numbers
/// when the file name ends in .json or its text starts with '['.
/// </summary>
internal static class InputRows
{
    /// <summary>Reads every row, or returns false with an error naming the file, line and column.</summary>
    public static bool TryRead(FileInfo file, out List<InputRowLine> rows, out string error)
    {
        ArgumentNullException.ThrowIfNull(file);

        rows = [];
        string text;
        try
        {
            text = File.ReadAllText(file.FullName);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            error = $"cannot read input file {file}: {exception.Message}";
            return false;
        }

        var isJson = file.Extension.Equals(".json", StringComparison.OrdinalIgnoreCase) || text.TrimStart().StartsWith('[');
        var read = isJson ? TryReadJson(file, text, rows, out error) : TryReadCsv(file, text, rows, out error);
        if (read && rows.Count == 0)
        {
            error = $"input file {file} has no rows";
            return false;
        }

        return read;
    }

    // Blank lines and lines starting with '#' are skipped. A first row without a single number is a header. A
    // first row with some numbers is a data row with a typo, which is reported rather than dropped.
    private static bool TryReadCsv(FileInfo file, string text, List<InputRowLine> rows, out string error)
    {
        var lines = text.Split('\n');
        var headerAllowed = true;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r').Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var cells = line.Split(',');
            var values = new float[cells.Length];
            var bad = -1;
            for (var column = 0; column < cells.Length && bad < 0; column++)
            {
                bad = TryParse(cells[column], out values[column]) ? -1 : column;
            }

            if (bad >= 0 && headerAllowed && cells.All(cell => !TryParse(cell, out _)))
            {
                headerAllowed = false;
                continue;
            }

            if (bad >= 0)
            {
                error = $"{file} line {i + 1}, column {bad + 1}: '{cells[bad].Trim()}' is not a number";
                return false;
            }

            rows.Add(new InputRowLine(values, $"line {i + 1}"));
            headerAllowed = false;
        }

        error = string.Empty;
        return true;
    }

    private static bool TryReadJson(FileInfo file, string text, List<InputRowLine> rows, out string error)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException exception)
        {
            error = $"invalid JSON in {file}: {exception.Message}";
            return false;
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                error = $"{file} must hold a JSON array of rows, each an array of numbers";
                return false;
            }

            var index = 0;
            foreach (var row in document.RootElement.EnumerateArray())
            {
                if (row.ValueKind != JsonValueKind.Array || row.EnumerateArray().Any(value => value.ValueKind != JsonValueKind.Number))
                {
                    error = $"{file} row {index + 1} is not an array of numbers";
                    return false;
                }

                rows.Add(new InputRowLine([.. row.EnumerateArray().Select(value => value.GetSingle())], $"array element {index + 1}"));
                index++;
            }
        }

        error = string.Empty;
        return true;
    }

    // NaN and Infinity parse, so the server's own check reports them with the row and column.
    private static bool TryParse(string cell, out float value) =>
        float.TryParse(cell.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out value);
}
