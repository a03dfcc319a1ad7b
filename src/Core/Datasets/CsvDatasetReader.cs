using System.Globalization;

namespace TrainingService.Core.Datasets;

/// <summary>
/// Reads numeric CSV files of the scikit-learn layout: one example per line, the feature values and then
/// the class index last. A first line that does not parse as numbers (scikit-learn's "rows,features,names"
/// header) is skipped. Files ending in .gz are decompressed on the fly.
/// </summary>
public static class CsvDatasetReader
{
    public static (float[] Features, int[] Labels, int FeatureCount) Read(string path)
    {
        using var reader = new StreamReader(DataFile.Open(path));
        var features = new List<float>();
        var labels = new List<int>();
        var featureCount = -1;
        var lineNumber = 0;

        while (reader.ReadLine() is { } line)
        {
            lineNumber++;

            if (line.Length == 0 || (lineNumber == 1 && IsHeader(line)))
            {
                continue;
            }

            var cells = line.Split(',');
            featureCount = CheckWidth(featureCount, cells.Length - 1, path, lineNumber);

            for (var i = 0; i < featureCount; i++)
            {
                features.Add(ParseNumber(cells[i], path, lineNumber));
            }

            labels.Add((int)ParseNumber(cells[^1], path, lineNumber));
        }

        if (labels.Count == 0)
        {
            throw new InvalidDataException($"'{path}' contains no examples.");
        }

        return (features.ToArray(), labels.ToArray(), featureCount);
    }

    private static int CheckWidth(int expected, int actual, string path, int lineNumber)
    {
        if (actual < 1 || (expected >= 0 && actual != expected))
        {
            throw new InvalidDataException($"'{path}' line {lineNumber} has {actual} features; expected {expected}.");
        }

        return actual;
    }

    private static bool IsHeader(string line)
    {
        var cells = line.Split(',');
        return cells.Any(cell => !float.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out _));
    }

    private static float ParseNumber(string cell, string path, int lineNumber)
    {
        if (!float.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !float.IsFinite(value))
        {
            throw new InvalidDataException($"'{path}' line {lineNumber}: '{cell}' is not a finite number.");
        }

        return value;
    }
}
