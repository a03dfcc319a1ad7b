using Training.V1;

namespace TrainingService.Core.Specs;

/// <summary>The values a spec gets where it leaves an optional field unset.</summary>
public static class JobSpecDefaults
{
    public const double ValidationFraction = 0.1;
    public const double TestFraction = 0.2;
    public const double AdamBeta1 = 0.9;
    public const double AdamBeta2 = 0.999;
    public const double AdamEpsilon = 1e-8;
    public const double RmsPropAlpha = 0.99;
    public const double RmsPropEpsilon = 1e-8;
    public const double LayerNormEpsilon = 1e-5;
    public const double LeakyReluSlope = 0.01;

    public static double GetValidationFraction(this DatasetSpec dataset) =>
        dataset.HasValidationFraction ? dataset.ValidationFraction : ValidationFraction;

    public static double GetTestFraction(this DatasetSpec dataset) =>
        dataset.HasTestFraction ? dataset.TestFraction : TestFraction;

    /// <summary>
    /// The dropout rate after dense layer <paramref name="index"/>: its own, else the regularization default,
    /// which skips the last dense layer so the output is never dropped.
    /// </summary>
    public static double GetDropout(this JobSpec spec, int index)
    {
        var dense = spec.Network.Layers[index].Dense;

        if (dense.HasDropout)
        {
            return dense.Dropout;
        }

        var lastDense = spec.Network.Layers.Select((layer, i) => (layer, i)).Last(pair => pair.layer.KindCase == LayerSpec.KindOneofCase.Dense).i;
        return index == lastDense ? 0 : spec.Regularization?.Dropout ?? 0;
    }
}
