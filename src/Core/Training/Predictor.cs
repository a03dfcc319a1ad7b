using Training.V1;
using TrainingService.Core.Datasets;
using TorchSharp;
using static TorchSharp.torch;

namespace TrainingService.Core.Training;

/// <summary>Runs a stored model on new rows, in eval mode, so the same rows always give the same outputs.</summary>
public static class Predictor
{
    /// <summary>
    /// Predicts for <paramref name="rows"/>, raw feature values as in the dataset's files, row-major. Returns
    /// row-major outputs: class probabilities for cross-entropy, the probability of class 1 for binary
    /// cross-entropy, or the network's values for mean squared error.
    /// </summary>
    public static (float[] Outputs, int Width) Predict(JobSpec spec, byte[] modelState, FeaturePreprocessing preprocessing, float[] rows)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(modelState);
        ArgumentNullException.ThrowIfNull(preprocessing);
        ArgumentNullException.ThrowIfNull(rows);

        var info = DatasetCatalog.Find(spec.Dataset.Name) ?? throw new KeyNotFoundException($"Unknown dataset '{spec.Dataset.Name}'.");
        if (rows.Length % info.FeatureCount != 0)
        {
            throw new ArgumentException($"{rows.Length} values do not make whole rows of {info.FeatureCount} features.", nameof(rows));
        }

        var inputs = (float[])rows.Clone();
        preprocessing.Apply(inputs, info.FeatureCount);
        return PredictPreprocessed(spec, modelState, inputs);
    }

    /// <summary>Predicts for rows that are already network inputs, such as a prepared split's features.</summary>
    public static (float[] Outputs, int Width) PredictPreprocessed(JobSpec spec, byte[] modelState, float[] inputs)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(modelState);
        ArgumentNullException.ThrowIfNull(inputs);

        var info = DatasetCatalog.Find(spec.Dataset.Name) ?? throw new KeyNotFoundException($"Unknown dataset '{spec.Dataset.Name}'.");
        var loss = LossSelection.Resolve(spec.Training.Loss, info);

        using var generators = new RunGenerators(spec.Training.Seed);
        using var network = NetworkBuilder.Build(spec, info.FeatureCount, LossSelection.OutputWidth(loss, info), generators.Init, generators.Dropout);
        using (var stream = new MemoryStream(modelState))
        {
            network.Module.load(stream);
        }

        network.Module.eval();
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var outputs = LossFunctions.ToPredictions(loss, network.Module.forward(DeviceSplit.AlignedCopy(inputs, inputs.Length / info.FeatureCount, info.FeatureCount)));
        return (outputs.data<float>().ToArray(), (int)outputs.shape[1]);
    }
}
