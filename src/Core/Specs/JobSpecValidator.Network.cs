using Training.V1;
using TrainingService.Core.Datasets;
using TrainingService.Core.Training;

namespace TrainingService.Core.Specs;

public static partial class JobSpecValidator
{
    private const string LayerKinds = "dense, activation, dropout, swiglu, layer_norm";

    private static void ValidateNetwork(JobSpec spec, DatasetInfo? dataset, LossKind? loss, JobLimits limits, ViolationList violations)
    {
        var network = spec.Network;
        if (network is null || network.Layers.Count == 0)
        {
            violations.Add("network.layers", "needs at least one layer; the last dense or swiglu layer sets the output width");
            return;
        }

        if (network.Layers.Count > limits.MaxLayers)
        {
            violations.Add("network.layers", $"has {network.Layers.Count} layers; the limit is {limits.MaxLayers}");
            return;
        }

        var lastProjection = NetworkBuilder.LastProjectionIndex(network);
        if (lastProjection < 0)
        {
            violations.Add("network.layers", "has no dense or swiglu layer, so nothing maps the inputs to the output width");
            return;
        }

        var count = violations.Count;
        for (var i = 0; i < network.Layers.Count; i++)
        {
            ValidateLayer(network.Layers[i], $"network.layers[{i}]", i == lastProjection, violations);
        }

        if (violations.Count == count && dataset is not null && loss is { } lossKind)
        {
            ValidateShape(network, lastProjection, dataset, LossSelection.OutputWidth(lossKind, dataset), violations);
        }
    }

    private static void ValidateLayer(LayerSpec layer, string path, bool isLastProjection, ViolationList violations)
    {
        switch (layer.KindCase)
        {
            case LayerSpec.KindOneofCase.Dense:
                ValidateUnits(layer.Dense.Units, $"{path}.dense.units", isLastProjection, violations);
                ValidateActivation(layer.Dense.Activation, layer.Dense.HasNegativeSlope ? layer.Dense.NegativeSlope : null, $"{path}.dense", "activation", violations);
                if (layer.Dense.HasDropout)
                {
                    violations.InRange(layer.Dense.Dropout, $"{path}.dense.dropout", 0, 1, maxExclusive: true);
                }

                ValidateInit(layer.Dense.Init, $"{path}.dense.init", violations);
                break;
            case LayerSpec.KindOneofCase.Activation:
                if (layer.Activation.Function == Activation.None)
                {
                    violations.Add($"{path}.activation.function", "is required; choose one of the ACTIVATION_ values other than ACTIVATION_NONE");
                }

                ValidateActivation(layer.Activation.Function, layer.Activation.HasNegativeSlope ? layer.Activation.NegativeSlope : null, $"{path}.activation", "function", violations);
                break;
            case LayerSpec.KindOneofCase.Dropout:
                violations.InRange(layer.Dropout.Rate, $"{path}.dropout.rate", 0, 1, maxExclusive: true);
                break;
            case LayerSpec.KindOneofCase.Swiglu:
                ValidateUnits(layer.Swiglu.Units, $"{path}.swiglu.units", isLastProjection, violations);
                ValidateInit(layer.Swiglu.Init, $"{path}.swiglu.init", violations);
                break;
            case LayerSpec.KindOneofCase.LayerNorm:
                if (layer.LayerNorm.HasEpsilon)
                {
                    violations.InRange(layer.LayerNorm.Epsilon, $"{path}.layer_norm.epsilon", 0, 1, minExclusive: true);
                }

                break;
            default:
                violations.Add(path, $"has no layer kind; set one of {LayerKinds}");
                break;
        }
    }

    /// <summary>The enum value's name as job files spell it, such as ACTIVATION_RELU.</summary>
    private static string ProtoName<TEnum>(TEnum value)
        where TEnum : struct, Enum =>
        JobSpecReflection.Descriptor.EnumTypes.First(type => type.ClrType == typeof(TEnum)).FindValueByNumber(Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture))?.Name
        ?? value.ToString();

    private static void ValidateUnits(int units, string field, bool isLastProjection, ViolationList violations)
    {
        if (units == 0 && isLastProjection)
        {
            return;
        }

        if (units < 1 || units > MaxUnits)
        {
            var zero = isLastProjection ? ", or 0 to take the width from the task" : "";
            violations.Add(field, $"is {units}; it must be from 1 to {MaxUnits}{zero}");
        }
    }

    private static void ValidateActivation(Activation activation, double? slope, string path, string fieldName, ViolationList violations)
    {
        if (!violations.KnownEnum(activation, $"{path}.{fieldName}", "activation") || slope is not { } value)
        {
            return;
        }

        if (activation != Activation.LeakyRelu)
        {
            violations.Add($"{path}.negative_slope", $"applies only to ACTIVATION_LEAKY_RELU, not to {ProtoName(activation)}");
            return;
        }

        violations.InRange(value, $"{path}.negative_slope", 0, 1);
    }

    private static void ValidateInit(Initialization? init, string path, ViolationList violations)
    {
        if (init is null || !violations.KnownEnum(init.Kind, $"{path}.kind", "initialisation"))
        {
            return;
        }

        if (init.Kind == Init.Constant)
        {
            violations.InRange(init.Value, $"{path}.value", -1e3, 1e3);
        }
        else if (init.Value != 0)
        {
            violations.Add($"{path}.value", $"applies only to INIT_CONSTANT, not to {ProtoName(init.Kind)}");
        }
    }

    /// <summary>Checks the output width against the task, following the widths through the layers.</summary>
    private static void ValidateShape(NetworkSpec network, int lastProjection, DatasetInfo dataset, int outputWidth, ViolationList violations)
    {
        long width = dataset.FeatureCount;

        for (var i = 0; i < network.Layers.Count; i++)
        {
            var layer = network.Layers[i];
            switch (layer.KindCase)
            {
                case LayerSpec.KindOneofCase.Dense:
                    width = layer.Dense.Units == 0 ? outputWidth : layer.Dense.Units;
                    break;
                case LayerSpec.KindOneofCase.Swiglu:
                    width = layer.Swiglu.Units == 0 ? outputWidth : layer.Swiglu.Units;
                    break;
            }

            if (i == lastProjection && width != outputWidth)
            {
                var kind = layer.KindCase == LayerSpec.KindOneofCase.Dense ? "dense" : "swiglu";
                violations.Add($"network.layers[{i}].{kind}.units",
                    $"is {width}, but the task needs {outputWidth} outputs for dataset '{dataset.Name}' (one per class for cross-entropy, " +
                    "1 for binary cross-entropy, one per target for regression); set it to that or to 0");
            }
        }
    }
}
