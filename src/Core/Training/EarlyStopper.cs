using Training.V1;
using TorchSharp;
using static TorchSharp.torch;

namespace TrainingService.Core.Training;

/// <summary>
/// Watches the validation loss after each epoch, keeps a copy of the best weights, and says when the loss
/// has not improved by more than min_delta for patience epochs.
/// </summary>
internal sealed class EarlyStopper(EarlyStopping? settings) : IDisposable
{
    private readonly Dictionary<string, Tensor> _bestWeights = [];
    private double _bestLoss = double.PositiveInfinity;
    private int _epochsWithoutImprovement;

    public bool Enabled { get; } = settings is { Patience: > 0 };

    public int BestEpoch { get; private set; }

    /// <summary>Records an epoch's validation loss and returns whether training should stop.</summary>
    public bool ShouldStop(int epoch, double validationLoss, nn.Module module)
    {
        if (!Enabled)
        {
            BestEpoch = epoch;
            return false;
        }

        if (validationLoss < _bestLoss - settings!.MinDelta)
        {
            _bestLoss = validationLoss;
            _epochsWithoutImprovement = 0;
            BestEpoch = epoch;
            SaveWeights(module);
            return false;
        }

        _epochsWithoutImprovement++;
        return _epochsWithoutImprovement >= settings.Patience;
    }

    /// <summary>Puts the best epoch's weights back into the module.</summary>
    public void RestoreBest(nn.Module module)
    {
        if (_bestWeights.Count == 0)
        {
            return;
        }

        using var noGrad = torch.no_grad();
        foreach (var (name, parameter) in module.named_parameters())
        {
            parameter.copy_(_bestWeights[name]);
        }
    }

    public Snapshot Save() => new(_bestLoss, _epochsWithoutImprovement, BestEpoch,
        _bestWeights.Select(pair => (pair.Key, pair.Value.shape, pair.Value.data<float>().ToArray())).ToList());

    public void Restore(Snapshot snapshot)
    {
        _bestLoss = snapshot.BestLoss;
        _epochsWithoutImprovement = snapshot.EpochsWithoutImprovement;
        BestEpoch = snapshot.BestEpoch;

        foreach (var (name, shape, values) in snapshot.BestWeights)
        {
            _bestWeights[name] = torch.tensor(values, shape).clone().DetachFromDisposeScope();
        }
    }

    public void Dispose()
    {
        foreach (var weights in _bestWeights.Values)
        {
            weights.Dispose();
        }
    }

    private void SaveWeights(nn.Module module)
    {
        foreach (var (name, parameter) in module.named_parameters())
        {
            if (_bestWeights.Remove(name, out var previous))
            {
                previous.Dispose();
            }

            _bestWeights[name] = parameter.detach().clone().DetachFromDisposeScope();
        }
    }

    internal sealed record Snapshot(double BestLoss, int EpochsWithoutImprovement, int BestEpoch, List<(string Name, long[] Shape, float[] Values)> BestWeights)
    {
        public void Write(BinaryWriter writer)
        {
            writer.Write(BestLoss);
            writer.Write(EpochsWithoutImprovement);
            writer.Write(BestEpoch);
            writer.Write(BestWeights.Count);

            foreach (var (name, shape, values) in BestWeights)
            {
                writer.Write(name);
                writer.Write(shape.Length);
                foreach (var size in shape)
                {
                    writer.Write(size);
                }

                writer.Write(values.Length);
                foreach (var value in values)
                {
                    writer.Write(value);
                }
            }
        }

        public static Snapshot Read(BinaryReader reader)
        {
            var bestLoss = reader.ReadDouble();
            var epochs = reader.ReadInt32();
            var bestEpoch = reader.ReadInt32();
            var weights = new List<(string, long[], float[])>();

            for (var count = reader.ReadInt32(); count > 0; count--)
            {
                var name = reader.ReadString();
                var shape = new long[reader.ReadInt32()];
                for (var i = 0; i < shape.Length; i++)
                {
                    shape[i] = reader.ReadInt64();
                }

                var values = new float[reader.ReadInt32()];
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = reader.ReadSingle();
                }

                weights.Add((name, shape, values));
            }

            return new Snapshot(bestLoss, epochs, bestEpoch, weights);
        }
    }
}
