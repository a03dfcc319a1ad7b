using System.Globalization;
using Training.V1;

namespace TrainingService.Cli.Predictions;

/// <summary>
/// Prints Predict's results, one line per row numbered from 1: readable text, or CSV with a header before the first row.
/// Rows with a predicted class show class probabilities; the others, regression values.
/// </summary>
internal sealed class PredictionWriter(TextWriter output, bool csv)
{
    private bool _headerWritten;

    /// <param name="offset">The number of rows printed before this response, so row numbers continue across requests.</param>
    public void Write(PredictResponse response, int offset)
    {
        ArgumentNullException.ThrowIfNull(response);

        for (var i = 0; i < response.Predictions.Count; i++)
        {
            var prediction = response.Predictions[i];
            var row = offset + i + 1;
            if (csv)
            {
                WriteCsv(prediction, row, response.OutputWidth);
            }
            else
            {
                output.WriteLine(FormatText(prediction, row));
            }
        }
    }

    private void WriteCsv(Prediction prediction, int row, int width)
    {
        var classification = prediction.HasPredictedClass;
        if (!_headerWritten)
        {
            var header = new List<string> { "row" };
            if (classification)
            {
                header.Add("predicted_class");
            }

            header.AddRange(classification && width == 1 ? ["probability_1"]
                : Enumerable.Range(0, width).Select(column => classification ? $"probability_{column}" : $"output_{column}"));
            output.WriteLine(string.Join(',', header));
            _headerWritten = true;
        }

        var cells = new List<string> { row.ToString(CultureInfo.InvariantCulture) };
        if (classification)
        {
            cells.Add(prediction.PredictedClass.ToString(CultureInfo.InvariantCulture));
        }

        cells.AddRange(prediction.Outputs.Select(value => value.ToString("R", CultureInfo.InvariantCulture)));
        output.WriteLine(string.Join(',', cells));
    }

    private static string FormatText(Prediction prediction, int row)
    {
        var values = string.Join(' ', prediction.Outputs.Select(value => value.ToString("F4", CultureInfo.InvariantCulture)));
        if (!prediction.HasPredictedClass)
        {
            return $"row {row}: {values}";
        }

        // Binary cross-entropy returns one output, the probability of class 1.
        var label = prediction.Outputs.Count == 1 ? "probability of class 1" : "probabilities";
        return $"row {row}: class {prediction.PredictedClass}, {label} {values}";
    }
}
