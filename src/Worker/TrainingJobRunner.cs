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
/// ends the job in an explicit state. Only a shutdown leaves it for Hangfire to requeue, and the next attempt
/// resumes from the last checkpoint.
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
        AttemptStart? attempt = null;
        await StoreRetry.RunAsync(async () => attempt = await store.StartAttemptAsync(jobId, WorkerName, cancellationToken), logger, jobId, cancellationToken);

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
        // Resource limits were checked at submit, under the API's settings; here only what makes a spec runnable.
        var violations = JobSpecValidator.Validate(attempt.Spec, JobLimits.None);
        if (violations.Count > 0)
        {
            var reason = "Invalid spec: " + string.Join("; ", violations.Select(v => $"{v.Field} {v.Description}"));
            logger.JobInvalid(attempt.JobId, reason);
            await EndAsync(attempt, telemetry, JobState.Failed, reason);
            return;
        }

        var resumeFrom = attempt.Checkpoint is { } bytes ? TrainingCheckpoint.Deserialize(bytes) : null;
        if (resumeFrom is not null)
        {
            logger.AttemptResumed(attempt.JobId, attempt.Attempt, resumeFrom.Step);
        }

        await using var recorder = new ProgressRecorder(store, attempt, options.Value, logger);
        using var userCancel = new CancellationTokenSource();
        using var timeout = StartTimeout(attempt.Spec, resumeFrom);
        using var training = CancellationTokenSource.CreateLinkedTokenSource(shutdown, userCancel.Token, timeout.Token);
        var cancelWatch = WatchForCancelAsync(attempt.JobId, userCancel, training.Token);

        try
        {
            var observer = new CompositeTrainingObserver(recorder, telemetry.Observer);
            var result = await Task.Run(() => Train(attempt, resumeFrom, observer, recorder, training.Token), CancellationToken.None);
            await recorder.DrainAsync();
            await SucceedAsync(attempt, result);
            telemetry.Finish(JobState.Succeeded);
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
        {
            // Store the checkpoint that training made as it stopped, then rethrow so that Hangfire requeues
            // the job and the next attempt resumes from it.
            if (!await recorder.TryDrainAsync(options.Value.ShutdownDrainTimeout))
            {
                logger.ShutdownDrainTimedOut(attempt.JobId, options.Value.ShutdownDrainTimeout.TotalSeconds);
            }

            logger.JobInterrupted(attempt.JobId, attempt.Attempt);
            telemetry.Interrupt();
            throw;
        }
        catch (OperationCanceledException) when (userCancel.IsCancellationRequested)
        {
            await recorder.DrainAsync();
            logger.JobCancelled(attempt.JobId, attempt.Attempt);
            await EndAsync(attempt, telemetry, JobState.Cancelled, $"Cancelled by request after step {recorder.LastStep}.");
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            await recorder.DrainAsync();
            var limit = attempt.Spec.Training.TimeoutSeconds;
            logger.JobTimedOut(attempt.JobId, attempt.Attempt, limit);
            await EndAsync(attempt, telemetry, JobState.Failed,
                $"Timed out: the job trained for its limit of {limit} s (training.timeout_seconds) and stopped after step {recorder.LastStep}.");
        }
        catch (TrainingDivergedException diverged)
        {
            await recorder.DrainAsync();
            logger.JobDiverged(attempt.JobId, attempt.Attempt, diverged.Step, diverged.Message);
            await EndAsync(attempt, telemetry, JobState.Failed, diverged.Message);
        }
        catch (TrainingFailedException failed)
        {
            await recorder.DrainAsync();
            logger.JobFailed(failed.InnerException!, attempt.JobId, attempt.Attempt);
            await EndAsync(attempt, telemetry, JobState.Failed, $"Training failed: {failed.Message}");
        }
        finally
        {
            await training.CancelAsync();
            await cancelWatch;
        }
    }

    /// <summary>A token that fires when the job's time limit, less the time earlier attempts trained, runs out.</summary>
    private static CancellationTokenSource StartTimeout(JobSpec spec, TrainingCheckpoint? resumeFrom)
    {
        var timeout = new CancellationTokenSource();
        var limit = spec.Training.TimeoutSeconds;

        if (limit > 0)
        {
            var left = TimeSpan.FromSeconds(limit - (resumeFrom?.ElapsedSeconds ?? 0));
            timeout.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        }

        return timeout;
    }

    private TrainingResult Train(AttemptStart attempt, TrainingCheckpoint? resumeFrom, ITrainingObserver observer, ICheckpointSink checkpoints, CancellationToken cancellationToken)
    {
        try
        {
            var spec = attempt.Spec;
            var data = PreparedData.Prepare(spec);
            var policy = new CheckpointPolicy(options.Value.CheckpointEverySteps, options.Value.CheckpointInterval);
            return Trainer.Train(spec, data, observer, new CheckpointOptions(checkpoints, policy), resumeFrom, cancellationToken);
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
            ModelLocation = $"postgresql:models/{attempt.JobId}",
            ModelSizeBytes = result.ModelState.Length,
            Steps = result.Steps,
            TrainSeconds = result.TrainSeconds,
            BestEpoch = result.BestEpoch,
            StoppedEarly = result.StoppedEarly,
        };

        if (result.TestLoss is { } testLoss)
        {
            jobResult.TestLoss = testLoss;
        }

        if (result.TestAccuracy is { } testAccuracy)
        {
            jobResult.TestAccuracy = testAccuracy;
        }

        await StoreRetry.RunAsync(
            () => store.SucceedAsync(attempt.JobId, attempt.Attempt, jobResult, result.ModelState, result.Preprocessing, CancellationToken.None),
            logger, attempt.JobId);
        logger.JobSucceeded(attempt.JobId, attempt.Attempt, jobResult.TestLoss, result.Steps, result.TrainSeconds);
    }

    private async Task EndAsync(AttemptStart attempt, AttemptTelemetry telemetry, JobState state, string reason)
    {
        await StoreRetry.RunAsync(() => store.EndAsync(attempt.JobId, attempt.Attempt, state, reason, CancellationToken.None), logger, attempt.JobId);
        telemetry.Finish(state, reason);
    }

    /// <summary>Polls the job's cancel flag until training ends, and cancels training when a client asked to.</summary>
    private async Task WatchForCancelAsync(Guid jobId, CancellationTokenSource userCancel, CancellationToken trainingEnded)
    {
        while (!trainingEnded.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.Value.CancelPollInterval, trainingEnded);

                if (await store.IsCancelRequestedAsync(jobId, trainingEnded))
                {
                    await userCancel.CancelAsync();
                    return;
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception exception) when (DatabaseErrors.IsTransient(exception))
            {
                logger.CancelCheckFailed(exception, jobId);
            }
        }
    }
}
