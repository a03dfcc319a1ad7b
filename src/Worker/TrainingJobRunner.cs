using System.Diagnostics;
using Microsoft.Extensions.Options;
using Training.V1;
using TrainingService.Core.Datasets;
using TrainingService.Core.Specs;
using TrainingService.Core.Telemetry;
using TrainingService.Core.Training;
using TrainingService.Persistence;
using TrainingService.Persistence.Queue;
using TrainingService.Worker.Telemetry;

namespace TrainingService.Worker;

/// <summary>
/// Runs one job through the training core and records its progress and outcome. Every outcome of training
/// ends the job in an explicit state; only storage faults and shutdowns leave it for Hangfire to retry.
/// </summary>
public sealed class TrainingJobRunner(
    JobStore store,
    TrainingInstrumentation instrumentation,
    IOptions<WorkerOptions> options,
    ILogger<TrainingJobRunner> logger) : ITrainingJobRunner
{
    private static readonly string WorkerName = $"{Environment.MachineName}:{Environment.ProcessId}";

    public async Task RunAsync(Guid jobId, CancellationToken cancellationToken)
    {
        var attempt = await store.StartAttemptAsync(jobId, WorkerName, cancellationToken);
        if (attempt is null)
        {
            logger.JobSkipped(jobId);
            return;
        }

        using var telemetry = AttemptTelemetry.Start(instrumentation, attempt);
        logger.AttemptStarted(jobId, attempt.Attempt, WorkerName, telemetry.TraceId);

        try
        {
            await RunAttemptAsync(attempt, telemetry, cancellationToken);
        }
        catch (StaleAttemptException)
        {
            telemetry.Supersede();
            logger.AttemptStale(jobId, attempt.Attempt);
        }
    }

    private async Task RunAttemptAsync(AttemptStart attempt, AttemptTelemetry telemetry, CancellationToken shutdown)
    {
        var violations = JobSpecValidator.Validate(attempt.Spec);
        if (violations.Count > 0)
        {
            var reason = "Invalid spec: " + string.Join("; ", violations.Select(v => $"{v.Field} {v.Description}"));
            logger.JobInvalid(attempt.JobId, reason);
            await store.EndAsync(attempt.JobId, attempt.Attempt, JobState.Failed, reason, shutdown);
            telemetry.Finish(JobState.Failed, reason);
            return;
        }

        await using var recorder = new ProgressRecorder(store, attempt, options.Value, logger);
        using var userCancel = new CancellationTokenSource();
        using var training = CancellationTokenSource.CreateLinkedTokenSource(shutdown, userCancel.Token);
        var cancelWatch = WatchForCancelAsync(attempt.JobId, userCancel, training.Token);

        try
        {
            var result = await Task.Run(() => Train(attempt, new CompositeTrainingObserver(recorder, telemetry.Observer), training.Token), CancellationToken.None);
            await recorder.DrainAsync();
            await SucceedAsync(attempt, result);
            telemetry.Finish(JobState.Succeeded);
        }
        catch (OperationCanceledException) when (userCancel.IsCancellationRequested)
        {
            await recorder.DrainAsync();
            logger.JobCancelled(attempt.JobId, attempt.Attempt);
            var reason = $"Cancelled by request after step {recorder.LastStep}.";
            await store.EndAsync(attempt.JobId, attempt.Attempt, JobState.Cancelled, reason, CancellationToken.None);
            telemetry.Finish(JobState.Cancelled, reason);
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
        {
            // Rethrown so that Hangfire requeues the job; the next attempt starts it again.
            logger.JobInterrupted(attempt.JobId, attempt.Attempt);
            telemetry.Interrupt();
            throw;
        }
        catch (TrainingDivergedException diverged)
        {
            await recorder.DrainAsync();
            logger.JobDiverged(attempt.JobId, attempt.Attempt, diverged.Step, diverged.Message);
            await store.EndAsync(attempt.JobId, attempt.Attempt, JobState.Failed, diverged.Message, CancellationToken.None);
            telemetry.Finish(JobState.Failed, diverged.Message);
        }
        catch (TrainingFailedException failed)
        {
            await recorder.DrainAsync();
            logger.JobFailed(failed.InnerException!, attempt.JobId, attempt.Attempt);
            var reason = $"Training failed: {failed.Message}";
            await store.EndAsync(attempt.JobId, attempt.Attempt, JobState.Failed, reason, CancellationToken.None);
            telemetry.Finish(JobState.Failed, reason);
        }
        finally
        {
            await training.CancelAsync();
            await cancelWatch;
        }
    }

    private static TrainingResult Train(AttemptStart attempt, ITrainingObserver observer, CancellationToken cancellationToken)
    {
        try
        {
            var spec = attempt.Spec;
            var dataset = DatasetCatalog.Default.Load(spec.Dataset.Name);
            var splits = DatasetSplits.Create(dataset, spec.Dataset.GetValidationFraction(), spec.Dataset.GetTestFraction(), spec.Training.Seed);

            if (DatasetCatalog.Find(dataset.Name)!.Standardize)
            {
                splits = Standardizer.Apply(splits);
            }

            return Trainer.Train(spec, splits, observer, cancellationToken);
        }
        catch (Exception exception) when (exception is not (OperationCanceledException or TrainingDivergedException))
        {
            throw new TrainingFailedException(exception);
        }
    }

    private async Task SucceedAsync(AttemptStart attempt, TrainingResult result)
    {
        var jobResult = new JobResult
        {
            TestLoss = result.TestLoss,
            TestAccuracy = result.TestAccuracy,
            ModelLocation = $"postgresql:models/{attempt.JobId}",
            ModelSizeBytes = result.ModelState.Length,
            Steps = result.Steps,
            TrainSeconds = result.TrainSeconds,
        };

        await store.SucceedAsync(attempt.JobId, attempt.Attempt, jobResult, result.ModelState, CancellationToken.None);
        logger.JobSucceeded(attempt.JobId, attempt.Attempt, result.TestAccuracy, result.Steps, result.TrainSeconds);
    }

    /// <summary>Polls the job's cancel flag until training ends, and cancels training when a client asked to.</summary>
    private async Task WatchForCancelAsync(Guid jobId, CancellationTokenSource userCancel, CancellationToken trainingEnded)
    {
        try
        {
            while (!trainingEnded.IsCancellationRequested)
            {
                await Task.Delay(options.Value.CancelPollInterval, trainingEnded);

                if (await store.IsCancelRequestedAsync(jobId, trainingEnded))
                {
                    await userCancel.CancelAsync();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Training ended first.
        }
    }
}
