using System.Diagnostics;
using TrainingService.Core.Datasets;
using TorchSharp;
using static TorchSharp.torch;

namespace TrainingService.Benchmarks.Workloads;

/// <summary>
/// The reference for training throughput: the MNIST network of <see cref="MnistMlp"/> trained with plain
/// TorchSharp, as a PyTorch user writes it. Each step selects a shuffled batch with index_select, runs
/// forward, cross-entropy, backward and AdamW in a dispose scope, and reads nothing back to the host.
/// </summary>
public sealed class BareTrainingLoop : IDisposable
{
    private readonly Tensor _features;
    private readonly Tensor _labels;
    private readonly Generator _shuffle;
    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly optim.Optimizer _optimizer;

    /// <param name="train">The training split; its features are copied into memory that libtorch allocates, as the trainer does.</param>
    public BareTrainingLoop(Dataset train, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (train.Labels is null || train.FeatureCount != MnistMlp.InputWidth)
        {
            throw new ArgumentException($"The bare loop needs a classification split with {MnistMlp.InputWidth} features.", nameof(train));
        }

        Count = train.Count;
        using (var view = torch.tensor(train.Features, [train.Count, train.FeatureCount]))
        {
            _features = view.clone();
        }

        _labels = torch.tensor(Array.ConvertAll(train.Labels, label => (long)label), [train.Count]);
        _shuffle = new Generator(seed, CPU);
        torch.manual_seed((long)seed);
        _model = nn.Sequential(
            ("dense0", nn.Linear(MnistMlp.InputWidth, MnistMlp.HiddenWidth)),
            ("relu", nn.ReLU()),
            ("dropout", nn.Dropout(MnistMlp.Dropout)),
            ("dense1", nn.Linear(MnistMlp.HiddenWidth, MnistMlp.ClassCount)));
        _optimizer = optim.AdamW(_model.parameters(), MnistMlp.LearningRate, weight_decay: MnistMlp.WeightDecay);
    }

    /// <summary>Examples in one epoch.</summary>
    public long Count { get; }

    /// <summary>Trains one epoch in batches of <see cref="MnistMlp.BatchSize"/> and returns its wall time in seconds.</summary>
    public double TrainEpoch()
    {
        var clock = Stopwatch.StartNew();
        _model.train();

        using var order = torch.randperm(Count, generator: _shuffle);
        for (long start = 0; start < Count; start += MnistMlp.BatchSize)
        {
            using var scope = torch.NewDisposeScope();
            var indices = order.narrow(0, start, Math.Min(MnistMlp.BatchSize, Count - start));
            var features = _features.index_select(0, indices);
            var labels = _labels.index_select(0, indices);

            _optimizer.zero_grad();
            var loss = nn.functional.cross_entropy(_model.forward(features), labels);
            loss.backward();
            _optimizer.step();
        }

        return clock.Elapsed.TotalSeconds;
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        _model.Dispose();
        _shuffle.Dispose();
        _labels.Dispose();
        _features.Dispose();
    }
}
