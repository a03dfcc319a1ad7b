using Training.V1;
using TrainingService.Core.Specs;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TrainingService.Core.Training;

/// <summary>A network built from a spec, with the layers whose gradient norms are reported.</summary>
public sealed class Network : IDisposable
{
    internal Network(nn.Module<Tensor, Tensor> module, IReadOnlyList<(string Name, nn.Module Layer)> parameterisedLayers)
    {
        Module = module;
        ParameterisedLayers = parameterisedLayers;
    }

    public nn.Module<Tensor, Tensor> Module { get; }

    /// <summary>Every layer that owns parameters, input first, named by kind and position in the spec ("dense0", "swiglu2").</summary>
    public IReadOnlyList<(string Name, nn.Module Layer)> ParameterisedLayers { get; }

    public IEnumerable<string> LayerNames => ParameterisedLayers.Select(layer => layer.Name);

    public void Dispose() => Module.Dispose();
}

/// <summary>
/// Builds the TorchSharp module a job spec describes. Weights start from <c>init</c> and dropout masks come
/// from <c>dropout</c>, the run's own generators, so no global random state is read.
/// </summary>
public static class NetworkBuilder
{
    /// <summary>The names that <see cref="Build"/> gives the parameterised layers of a spec's network, input first.</summary>
    public static IReadOnlyList<string> LayerNames(JobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);

        return [.. spec.Network.Layers
            .Select((layer, index) => IsParameterised(layer) ? LayerName(layer, index) : null)
            .OfType<string>()];
    }

    /// <summary>
    /// Builds the network for inputs of <paramref name="inputWidth"/> features. A layer with zero units that is
    /// the last parameterised one gets <paramref name="outputWidth"/>, the width the loss needs.
    /// </summary>
    public static Network Build(JobSpec spec, int inputWidth, int outputWidth, Generator init, Generator dropout)
    {
        ArgumentNullException.ThrowIfNull(spec);

        var modules = new List<(string, nn.Module<Tensor, Tensor>)>();
        var parameterised = new List<(string, nn.Module)>();
        var lastProjection = LastProjectionIndex(spec.Network);
        long width = inputWidth;

        for (var i = 0; i < spec.Network.Layers.Count; i++)
        {
            var layer = spec.Network.Layers[i];
            var name = LayerName(layer, i);
            int Units(int units) => units == 0 && i == lastProjection ? outputWidth : units;

            switch (layer.KindCase)
            {
                case LayerSpec.KindOneofCase.Dense:
                    width = AddDense(modules, parameterised, name, spec, i, width, Units(layer.Dense.Units), init, dropout);
                    break;
                case LayerSpec.KindOneofCase.Activation:
                    modules.Add((name, CreateActivation(layer.Activation.Function, layer.Activation)));
                    break;
                case LayerSpec.KindOneofCase.Dropout:
                    modules.Add((name, new SeededDropout(layer.Dropout.Rate, dropout)));
                    break;
                case LayerSpec.KindOneofCase.Swiglu:
                    var swiglu = new SwiGlu(width, Units(layer.Swiglu.Units), layer.Swiglu.Bias || !layer.Swiglu.HasBias);
                    WeightInitializer.Initialize(swiglu.Gate, layer.Swiglu.Init, init);
                    WeightInitializer.Initialize(swiglu.Value, layer.Swiglu.Init, init);
                    modules.Add((name, swiglu));
                    parameterised.Add((name, swiglu));
                    width = Units(layer.Swiglu.Units);
                    break;
                case LayerSpec.KindOneofCase.LayerNorm:
                    var affine = layer.LayerNorm.Affine || !layer.LayerNorm.HasAffine;
                    var norm = nn.LayerNorm(width, layer.LayerNorm.HasEpsilon ? layer.LayerNorm.Epsilon : JobSpecDefaults.LayerNormEpsilon, affine);
                    modules.Add((name, norm));
                    if (affine)
                    {
                        parameterised.Add((name, norm));
                    }

                    break;
                default:
                    throw new ArgumentException($"Layer {i} has no kind.", nameof(spec));
            }
        }

        return new Network(nn.Sequential(modules), parameterised);
    }

    private static long AddDense(
        List<(string, nn.Module<Tensor, Tensor>)> modules,
        List<(string, nn.Module)> parameterised,
        string name,
        JobSpec spec,
        int index,
        long inputWidth,
        int units,
        Generator init,
        Generator dropoutGenerator)
    {
        var dense = spec.Network.Layers[index].Dense;
        var linear = nn.Linear(inputWidth, units, dense.Bias || !dense.HasBias);
        WeightInitializer.Initialize(linear, dense.Init, init);
        modules.Add((name, linear));
        parameterised.Add((name, linear));

        if (dense.Activation != Activation.None)
        {
            modules.Add(($"{name}_activation", CreateActivation(dense.Activation, dense)));
        }

        var rate = spec.GetDropout(index);
        if (rate > 0)
        {
            modules.Add(($"{name}_dropout", new SeededDropout(rate, dropoutGenerator)));
        }

        return units;
    }

    /// <summary>The index of the last dense or SwiGLU layer, whose zero units mean the task's output width.</summary>
    internal static int LastProjectionIndex(NetworkSpec network)
    {
        for (var i = network.Layers.Count - 1; i >= 0; i--)
        {
            if (network.Layers[i].KindCase is LayerSpec.KindOneofCase.Dense or LayerSpec.KindOneofCase.Swiglu)
            {
                return i;
            }
        }

        return -1;
    }

    private static bool IsParameterised(LayerSpec layer) => layer.KindCase switch
    {
        LayerSpec.KindOneofCase.Dense or LayerSpec.KindOneofCase.Swiglu => true,
        LayerSpec.KindOneofCase.LayerNorm => layer.LayerNorm.Affine || !layer.LayerNorm.HasAffine,
        _ => false,
    };

    private static string LayerName(LayerSpec layer, int index) => layer.KindCase switch
    {
        LayerSpec.KindOneofCase.Dense => $"dense{index}",
        LayerSpec.KindOneofCase.Activation => $"activation{index}",
        LayerSpec.KindOneofCase.Dropout => $"dropout{index}",
        LayerSpec.KindOneofCase.Swiglu => $"swiglu{index}",
        LayerSpec.KindOneofCase.LayerNorm => $"layer_norm{index}",
        _ => $"layer{index}",
    };

    private static nn.Module<Tensor, Tensor> CreateActivation(Activation activation, Google.Protobuf.IMessage settings)
    {
        var slope = settings switch
        {
            DenseLayer { HasNegativeSlope: true } dense => dense.NegativeSlope,
            ActivationLayer { HasNegativeSlope: true } layer => layer.NegativeSlope,
            _ => JobSpecDefaults.LeakyReluSlope,
        };

        return activation switch
        {
            Activation.Sigmoid => nn.Sigmoid(),
            Activation.Tanh => nn.Tanh(),
            Activation.Relu => nn.ReLU(),
            Activation.LeakyRelu => nn.LeakyReLU(slope),
            Activation.Gelu => nn.GELU(),
            Activation.Silu => nn.SiLU(),
            _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Not an activation function."),
        };
    }
}
