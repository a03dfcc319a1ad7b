using Npgsql;
using Training.V1;
using TrainingService.Benchmarks.Workloads;
using TrainingService.Core.Datasets;
using TrainingService.Core.Training;
using TrainingService.SystemBenchmarks.Hosts;
using TrainingService.SystemBenchmarks.Measurements;
using TrainingService.SystemBenchmarks.Results;
using TorchSharp;
using static TrainingService.SystemBenchmarks.Results.ResultTable;

namespace TrainingService.SystemBenchmarks.Scenarios;

/// <summary>
/// Training throughput on mnist10k with the 784-256-10 network, three ways in turn, each round in the same
/// order: the bare TorchSharp loop and Core's Trainer in this process, then the worker through the whole
/// service. Each run trains several epochs; the first epoch of every run is a warm-up and is left out.
/// </summary>
internal sealed class ThroughputScenario(ServiceDeployment service, ResultTable table)
{
    private const int Rounds = 3;
    private const int EpochsPerRun = 5;
    private const double TargetRatio = 0.95;

    // Lets the previous run's after-effects settle, such as PostgreSQL writing out the worker's rows.
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(2);

    private readonly List<double> _bare = [];
    private readonly List<double> _trainer = [];
    private readonly List<double> _worker = [];
    private readonly List<Guid> _workerJobs = [];
    private double _peakResidentMiB;

    /// <summary>The jobs the worker trained, for the metric-write figures.</summary>
    public IReadOnlyList<Guid> WorkerJobs => _workerJobs;

    public async Task RunAsync(HostProcess worker)
    {
        // The worker's default: one libtorch thread per processor.
        torch.set_num_threads(Environment.ProcessorCount);
        var spec = MnistMlp.Spec(EpochsPerRun);
        var data = PreparedData.Prepare(spec);

        for (var round = 1; round <= Rounds; round++)
        {
            await Task.Delay(Settle);
            MeasureBareLoop(data.Splits.Train, (ulong)round);
            await Task.Delay(Settle);
            await MeasureTrainerAsync(spec, data);
            await Task.Delay(Settle);
            await MeasureWorkerAsync(worker, round);
            Console.WriteLine($"throughput round {round}: bare {Format(Statistics.Median(_bare), "F0")}, trainer {Format(Statistics.Median(_trainer), "F0")}, worker {Format(Statistics.Median(_worker), "F0")} samples/s so far");
        }

        using var matrixMultiply = new MatrixMultiply();
        var peak = Statistics.Median(matrixMultiply.MeasureFlopsPerSecond(repeats: 10));
        Report(peak);
    }

    private void MeasureBareLoop(Dataset train, ulong seed)
    {
        using var loop = new BareTrainingLoop(train, seed);

        for (var epoch = 1; epoch <= EpochsPerRun; epoch++)
        {
            var seconds = loop.TrainEpoch();
            if (epoch > 1)
            {
                _bare.Add(loop.Count / seconds);
            }
        }
    }

    private async Task MeasureTrainerAsync(JobSpec spec, PreparedData data)
    {
        await using var recorder = new WorkerLikeRecorder();
        var checkpoints = new CheckpointOptions(recorder, new CheckpointPolicy(EverySteps: 500, Every: TimeSpan.FromSeconds(30)));
        Trainer.Train(spec, data, recorder, checkpoints, resumeFrom: null, CancellationToken.None);
        _trainer.AddRange(recorder.Epochs.Skip(1).Select(epoch => epoch.SamplesPerSecond));
    }

    private async Task MeasureWorkerAsync(HostProcess worker, int round)
    {
        Job job;
        await using (var sampler = new PeakMemorySampler(worker.Id, TimeSpan.FromMilliseconds(100)))
        {
            job = await service.Client.SubmitJobAsync(new SubmitJobRequest { Spec = MnistMlp.Spec(EpochsPerRun, $"throughput-{round}") });
            var jobId = Guid.Parse(job.Id);
            var state = await service.WaitForFinishAsync(jobId, TimeSpan.FromMinutes(3), TimeSpan.FromMilliseconds(100));
            if (state != "Succeeded")
            {
                throw new InvalidOperationException($"Throughput job {jobId} ended {state}.\n{service.Diagnostics()}");
            }

            _peakResidentMiB = Math.Max(_peakResidentMiB, sampler.PeakMiB);
            _workerJobs.Add(jobId);
        }

        await using var command = service.Database.CreateCommand("SELECT samples_per_second FROM epoch_metrics WHERE job_id = $1 AND epoch > 1 ORDER BY epoch");
        command.Parameters.AddWithValue(Guid.Parse(job.Id));
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            _worker.Add(reader.GetDouble(0));
        }
    }

    private void Report(double peakFlopsPerSecond)
    {
        const string Area = "1. Throughput";
        var bare = Statistics.Median(_bare);
        var trainer = Statistics.Median(_trainer);
        var worker = Statistics.Median(_worker);
        var threads = torch.get_num_threads();

        table.Add(Area, $"bare TorchSharp loop, {threads} threads (median of {_bare.Count} epochs)", $"{Format(bare, "F0")} samples/s");
        table.Add(Area, $"Core Trainer in-process, recorder and checkpoints without a database ({_trainer.Count} epochs)",
            $"{Format(trainer, "F0")} samples/s = {Format(trainer / bare, "F3")} of bare");
        table.Add(Area, $"worker, telemetry and checkpoints on, stored samples_per_second ({_worker.Count} epochs)",
            $"{Format(worker, "F0")} samples/s = {Format(worker / bare, "F3")} of bare", $">= {Format(TargetRatio, "F2")} of bare", worker / bare >= TargetRatio);

        table.Add(Area, "worker FLOP/s (3 x forward matmul FLOPs per example)",
            $"{Format(worker * MnistMlp.TrainingFlopsPerExample / 1e9, "F1")} GFLOP/s = {Format(worker * MnistMlp.TrainingFlopsPerExample / peakFlopsPerSecond, "P0")} of peak");
        table.Add(Area, "bare loop FLOP/s", $"{Format(bare * MnistMlp.TrainingFlopsPerExample / 1e9, "F1")} GFLOP/s");
        table.Add(Area, $"peak: torch.mm 2048x2048 float32, {threads} threads (median of 10)", $"{Format(peakFlopsPerSecond / 1e9, "F1")} GFLOP/s");
        table.Add("6. Memory", "worker peak RSS while training mnist (sampled every 100 ms)", $"{Format(_peakResidentMiB, "F0")} MiB");
    }
}
