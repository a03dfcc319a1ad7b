using System.Globalization;
using System.Text;

namespace TrainingService.SystemBenchmarks.Results;

/// <summary>One measured figure. <see cref="Verdict"/> is "met" or "missed" for a figure with a target, and empty otherwise.</summary>
internal sealed record ResultRow(string Area, string Measure, string Value, string Target, string Verdict);

/// <summary>The figures of one run in the order they were measured, printed as one table.</summary>
internal sealed class ResultTable
{
    private readonly List<ResultRow> _rows = [];

    public IReadOnlyList<ResultRow> Rows => _rows;

    public void Add(string area, string measure, string value) => _rows.Add(new ResultRow(area, measure, value, "", ""));

    public void Add(string area, string measure, string value, string target, bool met) =>
        _rows.Add(new ResultRow(area, measure, value, target, met ? "met" : "missed"));

    public static string Format(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>The table with columns padded to their widest cell, for a terminal.</summary>
    public string ToText()
    {
        string[] header = ["Area", "Measure", "Value", "Target", "Verdict"];
        var cells = _rows.Select(row => new[] { row.Area, row.Measure, row.Value, row.Target, row.Verdict }).Prepend(header).ToList();
        var widths = Enumerable.Range(0, header.Length).Select(column => cells.Max(row => row[column].Length)).ToArray();

        var text = new StringBuilder();
        foreach (var (row, index) in cells.Select((row, index) => (row, index)))
        {
            text.AppendLine(string.Join("  ", row.Select((cell, column) => cell.PadRight(widths[column]))).TrimEnd());
            if (index == 0)
            {
                text.AppendLine(string.Join("  ", widths.Select(width => new string('-', width))));
            }
        }

        return text.ToString();
    }

    public string ToMarkdown()
    {
        var text = new StringBuilder();
        text.AppendLine("| Area | Measure | Value | Target | Verdict |");
        text.AppendLine("| --- | --- | --- | --- | --- |");

        foreach (var row in _rows)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {Escape(row.Area)} | {Escape(row.Measure)} | {Escape(row.Value)} | {Escape(row.Target)} | {row.Verdict} |");
        }

        return text.ToString();
    }

    private static string Escape(string cell) => cell.Replace("|", "\\|", StringComparison.Ordinal);
}
