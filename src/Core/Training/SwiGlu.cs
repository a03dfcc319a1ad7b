using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TrainingService.Core.Training;

/// <summary>SwiGLU(x) = SiLU(gate(x)) * value(x): a gated layer with two projections of its own.</summary>
internal sealed class SwiGlu : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE0044 // RegisterComponents registers fields as submodules by name; they stay assignable for load.
    private Linear gate;
    private Linear value;
#pragma warning restore IDE0044

    public SwiGlu(long inputWidth, long units, bool bias)
        : base(nameof(SwiGlu))
    {
        gate = nn.Linear(inputWidth, units, bias);
        value = nn.Linear(inputWidth, units, bias);
        RegisterComponents();
    }

    public Linear Gate => gate;

    public Linear Value => value;

    public override Tensor forward(Tensor input)
    {
        using var gated = nn.functional.silu(gate.forward(input));
        using var values = value.forward(input);
        return gated * values;
    }
}
