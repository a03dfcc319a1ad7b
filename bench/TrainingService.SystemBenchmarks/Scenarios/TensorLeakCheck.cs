using TrainingService.Core.Datasets;
using TrainingService.Core.Training;
using TrainingService.SystemBenchmarks.Results;
using TorchSharp;

namespace TrainingService.SystemBenchmarks.Scenarios;

/// <summary>
/// Counts the tensors that Core's trainer leaves alive: TorchSharp's count of live tensors created on this
/// thread, before and after many digits runs. The runs go through Trainer.Train synchronously on one thread,
/// because TorchSharp keeps the count per thread.
/// </summary>
internal static class TensorLeakCheck
{
    private const int Runs = 50;

    public static void Run(ResultTable table)
    {
        var spec = JobSpecs.SmallDigits("tensor-leak-check", seed: 3);
        var data = PreparedData.Prepare(spec);

        // The first run creates what lives for the whole process, such as the default generator's state.
        Trainer.Train(spec, data, new CompositeTrainingObserver(), CancellationToken.None);
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        for (var run = 0; run < Runs; run++)
        {
            Trainer.Train(spec, data, new CompositeTrainingObserver(), CancellationToken.None);
        }

        var leaked = DisposeScopeManager.Statistics.ThreadTotalLiveCount - before;
        table.Add("6. Memory", $"tensors left alive by {Runs} in-process digits runs of the trainer (TorchSharp's live count)", $"{leaked}", "0", leaked == 0);
    }
}
