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
}
