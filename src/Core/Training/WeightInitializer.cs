using Training.V1;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TrainingService.Core.Training;

/// <summary>
/// Sets a linear layer's starting weights from the run's generator. The formulas are PyTorch's: the default
/// is nn.Linear's own, uniform in +-1/sqrt(fan_in) for weights and biases. The draws differ from PyTorch's,
/// which come from its global generator.
/// </summary>
internal static class WeightInitializer
{
    public static void Initialize(Linear linear, Initialization? init, Generator generator)
    {
        using var noGrad = torch.no_grad();
        var weight = linear.weight!;
        var bias = linear.bias;
        double fanOut = weight.shape[0];
        double fanIn = weight.shape[1];
        var defaultBound = 1 / Math.Sqrt(fanIn);

        switch (init?.Kind ?? Init.Default)
        {
            case Init.Zeros:
                nn.init.zeros_(weight);
                InitializeBias(bias, b => nn.init.zeros_(b));
                return;
            case Init.Constant:
                nn.init.constant_(weight, init!.Value);
                InitializeBias(bias, b => nn.init.constant_(b, init.Value));
                return;
            case Init.XavierUniform:
                Uniform(weight, Math.Sqrt(6 / (fanIn + fanOut)), generator);
                break;
            case Init.XavierNormal:
                Normal(weight, Math.Sqrt(2 / (fanIn + fanOut)), generator);
                break;
            case Init.KaimingUniform:
                Uniform(weight, Math.Sqrt(6 / fanIn), generator);
                break;
            case Init.KaimingNormal:
                Normal(weight, Math.Sqrt(2 / fanIn), generator);
                break;
            default:
                Uniform(weight, defaultBound, generator);
                break;
        }

        InitializeBias(bias, b => Uniform(b, defaultBound, generator));
    }

    // TorchSharp 0.107.0's nn.init.uniform_ and normal_ ignore their generator argument and draw from the
    // global one, so the draws are made with torch.rand and torch.randn, which honour it.
    private static void Uniform(Tensor tensor, double bound, Generator generator)
    {
        using var draws = torch.rand(tensor.shape, dtype: tensor.dtype, generator: generator);
        tensor.copy_(draws.mul_(2 * bound).sub_(bound));
    }

    private static void Normal(Tensor tensor, double deviation, Generator generator)
    {
        using var draws = torch.randn(tensor.shape, dtype: tensor.dtype, generator: generator);
        tensor.copy_(draws.mul_(deviation));
    }

    private static void InitializeBias(Tensor? bias, Action<Tensor> initialize)
    {
        if (bias is not null)
        {
            initialize(bias);
        }
    }
}
