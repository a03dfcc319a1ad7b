using TorchSharp;
using static TorchSharp.torch;

namespace TrainingService.Core.Training;

/// <summary>
/// Inverted dropout that draws its masks from the run's own generator instead of torch's global one, so runs
/// in one process do not disturb each other's randomness. In eval mode it returns its input unchanged.
/// </summary>
internal sealed class SeededDropout : nn.Module<Tensor, Tensor>
{
    private readonly double _rate;
    private readonly Generator _generator;

    public SeededDropout(double rate, Generator generator)
        : base(nameof(SeededDropout))
    {
        _rate = rate;
        _generator = generator;
    }

    public override Tensor forward(Tensor input)
    {
        if (!training || _rate == 0)
        {
            return input.alias();
        }

        using var draws = torch.rand(input.shape, dtype: input.dtype, generator: _generator);
        using var keep = draws.ge(_rate);
        return input * keep.to_type(input.dtype) / (1 - _rate);
    }
}
