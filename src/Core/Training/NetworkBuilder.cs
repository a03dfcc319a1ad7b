using Training.V1;
using TrainingService.Core.Specs;
using TorchSharp;
using static TorchSharp.torch;

namespace TrainingService.Core.Training;

/// <summary>A network built from a spec, with the dense layers whose gradient norms are reported.</summary>
public sealed class Network : IDisposable
{
    internal Network(nn.Module<Tensor, Tensor> module, IReadOnlyList<(string Name, nn.Module Layer)> parameterisedLayers)
    {
        Module = module;
        ParameterisedLayers = parameterisedLayers;
    }

    public nn.Module<Tensor, Tensor> Module { get; }

    /// <summary>Every layer that owns parameters, by its name in the network ("dense0", "dense1", ...), input first.</summary>
    public IReadOnlyList<(string Name, nn.Module Layer)> ParameterisedLayers { get; }

    public IEnumerable<string> LayerNames => ParameterisedLayers.Select(layer => layer.Name);

    public void Dispose() => Module.Dispose();
}

/// <summary>Builds the TorchSharp module a job spec describes. Initialisation draws from torch's seeded generator.</summary>
public static class NetworkBuilder
{
    public static Network Build(JobSpec spec, int inputWidth)
    {
        ArgumentNullException.ThrowIfNull(spec);

        var modules = new List<(string, nn.Module<Tensor, Tensor>)>();
        var parameterised = new List<(string, nn.Module)>();
        long width = inputWidth;

        for (var i = 0; i < spec.Network.Layers.Count; i++)
        {
            var dense = spec.Network.Layers[i].Dense;
            var linear = nn.Linear(width, dense.Units);
            modules.Add(($"dense{i}", linear));
            parameterised.Add(($"dense{i}", linear));

            if (CreateActivation(dense.Activation) is { } activation)
            {
                modules.Add(($"activation{i}", activation));
            }

            var dropout = spec.GetDropout(i);
            if (dropout > 0)
            {
                modules.Add(($"dropout{i}", nn.Dropout(dropout)));
            }

            width = dense.Units;
        }

        return new Network(nn.Sequential(modules), parameterised);
    }

    private static nn.Module<Tensor, Tensor>? CreateActivation(Activation activation) => activation switch
    {
        Activation.None => null,
        Activation.Sigmoid => nn.Sigmoid(),
        Activation.Tanh => nn.Tanh(),
        Activation.Relu => nn.ReLU(),
        Activation.Gelu => nn.GELU(),
        Activation.Silu => nn.SiLU(),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation."),
    };
}
