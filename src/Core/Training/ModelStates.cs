using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TrainingService.Core.Training;

/// <summary>Turns modules, optimizers and generators into bytes and back, for models and checkpoints.</summary>
internal static class ModelStates
{
    public static byte[] Save(nn.Module module)
    {
        using var buffer = new MemoryStream();
        module.save(buffer);
        return buffer.ToArray();
    }

    public static byte[] Save(optim.Optimizer optimizer)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer))
        {
            ((OptimizerHelper)optimizer).save_state_dict(writer);
        }

        return buffer.ToArray();
    }
}

internal static class GeneratorStates
{
    public static byte[] Capture(Generator generator)
    {
        using var state = generator.get_state();
        return state.data<byte>().ToArray();
    }

    public static void Restore(Generator generator, byte[] state)
    {
        using var tensor = torch.tensor(state);
        generator.set_state(tensor);
    }
}

/// <summary>Where a run's checkpoints go and how often; no sink means the run makes none.</summary>
public sealed record CheckpointOptions(ICheckpointSink? Sink, CheckpointPolicy Policy)
{
    public static CheckpointOptions None { get; } = new(null, CheckpointPolicy.Never);
}
