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
    /// <summary>The names that <see cref="Build"/> gives the parameterised layers of a spec's network, input first.</summary>
    public static IReadOnlyList<string> LayerNames(JobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return [.. Enumerable.Range(0, spec.Network.Layers.Count).Select(DenseName)];
    }

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
            modules.Add((DenseName(i), linear));
            parameterised.Add((DenseName(i), linear));

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

    private static string DenseName(int index) => $"dense{index}";

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
