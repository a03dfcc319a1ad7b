using Training.V1;
using TrainingService.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace TrainingService.Core.Tests;

/// <summary>
/// Backprop against central finite differences in double precision, for every layer kind a spec can name:
/// each parameter's gradient of a fixed scalar function of the network's output must match.
/// </summary>
public class GradientCheckTests
{
    private const double Step = 1e-6;
    private const double Tolerance = 1e-6;

    public static TheoryData<string, LayerSpec> LayerKinds => new()
    {
        { "dense none", Dense(Activation.None) },
        { "dense sigmoid", Dense(Activation.Sigmoid) },
        { "dense tanh", Dense(Activation.Tanh) },
        { "dense relu", Dense(Activation.Relu) },
        { "dense leaky relu", new LayerSpec { Dense = new DenseLayer { Units = 4, Activation = Activation.LeakyRelu, NegativeSlope = 0.2 } } },
        { "dense gelu", Dense(Activation.Gelu) },
        { "dense silu", Dense(Activation.Silu) },
        { "dense without bias", new LayerSpec { Dense = new DenseLayer { Units = 4, Bias = false } } },
        { "activation layer tanh", new LayerSpec { Activation = new ActivationLayer { Function = Activation.Tanh } } },
        { "swiglu", new LayerSpec { Swiglu = new SwiGluLayer { Units = 4 } } },
        { "layer norm", new LayerSpec { LayerNorm = new LayerNormLayer() } },
        { "dropout in eval mode", new LayerSpec { Dropout = new DropoutLayer { Rate = 0.5 } } },
    };

    [Theory]
    [MemberData(nameof(LayerKinds))]
    public void Backprop_EachLayerKind_MatchesFiniteDifferences(string kind, LayerSpec layer)
    {
        // A dense layer in front gives every kind parameters upstream whose gradients flow through it.
        var spec = NetworkSpec(new LayerSpec { Dense = new DenseLayer { Units = 5, Activation = Activation.Tanh } }, layer, new LayerSpec { Dense = new DenseLayer { Units = 3 } });
        using var generator = new Generator(3, CPU);
        using var network = NetworkBuilder.Build(spec, 6, 3, generator, generator);
        network.Module.to(ScalarType.Float64);
        network.Module.eval();
        using var input = torch.randn([7, 6], dtype: ScalarType.Float64, generator: generator);
        using var projection = torch.randn([7, 3], dtype: ScalarType.Float64, generator: generator);

        double Objective() => (network.Module.forward(input) * projection).sum().item<double>();

        network.Module.zero_grad();
        using (var output = (network.Module.forward(input) * projection).sum())
        {
            output.backward();
        }

        foreach (var (name, parameter) in network.Module.named_parameters())
        {
            AssertGradientMatches($"{kind}: {name}", parameter, Objective);
        }
    }

    public static TheoryData<Loss, int> Losses => new()
    {
        { Loss.CrossEntropy, 3 },
        { Loss.Mse, 3 },
        { Loss.BinaryCrossEntropyWithLogits, 1 },
    };

    [Theory]
    [MemberData(nameof(Losses))]
    public void Backprop_EachLoss_MatchesFiniteDifferences(Loss lossSpec, int outputs)
    {
        var loss = lossSpec switch
        {
            Loss.CrossEntropy => LossKind.CrossEntropy,
            Loss.Mse => LossKind.MeanSquaredError,
            _ => LossKind.BinaryCrossEntropyWithLogits,
        };
        var spec = NetworkSpec(new LayerSpec { Dense = new DenseLayer { Units = outputs } });
        using var generator = new Generator(5, CPU);
        using var network = NetworkBuilder.Build(spec, 4, outputs, generator, generator);
        network.Module.to(ScalarType.Float64);
        using var input = torch.randn([8, 4], dtype: ScalarType.Float64, generator: generator);
        using var labels = torch.tensor(new long[] { 0, 1, 2, 1, 0, 2, 1, 0 }.Select(l => l % Math.Max(outputs, 2)).ToArray());
        using var targets = loss switch
        {
            LossKind.CrossEntropy => labels.alias(),
            LossKind.BinaryCrossEntropyWithLogits => labels.to_type(ScalarType.Float64).reshape(8, 1),
            _ => torch.randn([8, outputs], dtype: ScalarType.Float64, generator: generator),
        };

        double Objective() => LossFunctions.Compute(loss, network.Module.forward(input), targets).item<double>();

        network.Module.zero_grad();
        using (var value = LossFunctions.Compute(loss, network.Module.forward(input), targets))
        {
            value.backward();
        }

        foreach (var (name, parameter) in network.Module.named_parameters())
        {
            AssertGradientMatches($"{lossSpec}: {name}", parameter, Objective);
        }
    }

    private static void AssertGradientMatches(string label, Tensor parameter, Func<double> objective)
    {
        using var flat = parameter.detach().view(-1);
        var analytic = parameter.grad!.view(-1).data<double>().ToArray();

        for (var i = 0; i < analytic.Length; i++)
        {
            var original = flat[i].item<double>();
            using (torch.no_grad())
            {
                flat[i] = original + Step;
                var plus = objective();
                flat[i] = original - Step;
                var minus = objective();
                flat[i] = original;

                var numeric = (plus - minus) / (2 * Step);
                Assert.True(Math.Abs(numeric - analytic[i]) <= Tolerance * Math.Max(1, Math.Abs(numeric)),
                    $"{label}[{i}]: backprop {analytic[i]:G10}, finite difference {numeric:G10}");
            }
        }
    }

    private static LayerSpec Dense(Activation activation) =>
        new() { Dense = new DenseLayer { Units = 4, Activation = activation } };

    private static JobSpec NetworkSpec(params LayerSpec[] layers)
    {
        var spec = new JobSpec { Network = new NetworkSpec(), Regularization = new RegularizationSpec(), Training = new TrainingSettings() };
        spec.Network.Layers.AddRange(layers);
        return spec;
    }
}
