using Training.V1;
using TrainingService.IntegrationTests.Infrastructure;

namespace TrainingService.IntegrationTests.Cli;

/// <summary>
/// Every job file in examples/ submitted with trainctl as the examples' README shows, checked for the outcome and the
/// lesson the README promises.
/// </summary>
[Collection(ServiceTestGroup.Name)]
public sealed class CliExampleTests(ServiceFixture service)
{
    [Fact]
    public async Task MnistMlp_SucceedsAboveNinetyPercent()
    {
        var (jobId, result) = await SubmitAsync("examples/mnist-mlp.json");

        Assert.True(result.ExitCode == 0, $"{result}\n{service.Diagnostics()}");
        Assert.Contains($"summary: job {jobId} SUCCEEDED after 10 of 10 epochs", result.Output);
        var job = await service.Client.GetJobAsync(new GetJobRequest { JobId = jobId });
        Assert.True(job.Result.TestAccuracy > 0.9, $"test accuracy {job.Result.TestAccuracy}");
    }

    [Fact]
    public async Task LineFit_LossReachesNearZero()
    {
        var epoch = await FinalEpochAsync("examples/line-fit.yaml");

        Assert.Equal(30, epoch.Epoch);
        Assert.True(epoch.TrainLoss < 1e-6, $"final training loss {epoch.TrainLoss}");
    }

    [Fact]
    public async Task Optimizers_SgdSlowestOnTrainingLoss()
    {
        var sgd = await FinalEpochAsync("examples/optimizers/mnist-sgd.json");
        var momentum = await FinalEpochAsync("examples/optimizers/mnist-momentum.json");
        var adam = await FinalEpochAsync("examples/optimizers/mnist-adam.json");

        Assert.True(momentum.TrainLoss < sgd.TrainLoss / 2, $"momentum {momentum.TrainLoss}, sgd {sgd.TrainLoss}");
        Assert.True(adam.TrainLoss < sgd.TrainLoss / 1.5, $"adam {adam.TrainLoss}, sgd {sgd.TrainLoss}");
    }

    [Fact]
    public async Task LearningRateTooLarge_FailsAsDiverged()
    {
        var (jobId, result) = await SubmitAsync("examples/learning-rate/too-large.json");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Training diverged", result.Output);
        Assert.Contains($"summary: job {jobId} FAILED", result.Output);
        var job = await service.Client.GetJobAsync(new GetJobRequest { JobId = jobId });
        Assert.Equal(JobState.Failed, job.State);
        Assert.Contains("learning rate 1000 is likely too large", job.FailureReason);
    }

    [Fact]
    public async Task LearningRateTooSmall_LossBarelyMoves()
    {
        var (jobId, result) = await SubmitAsync("examples/learning-rate/too-small.json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var epochs = (await service.Client.GetMetricsAsync(new GetMetricsRequest { JobId = jobId, MaxSteps = 1 })).Epochs;
        var change = (epochs[0].TrainLoss - epochs[^1].TrainLoss) / epochs[0].TrainLoss;
        Assert.InRange(change, 0, 0.02);
    }

    [Fact]
    public async Task Depth_SigmoidGradientsVanishWhileReluLearns()
    {
        var sigmoid = await FinalEpochAsync("examples/depth/sigmoid-10-layers.json");
        var relu = await FinalEpochAsync("examples/depth/relu-10-layers.json");

        var sigmoidRatio = sigmoid.LayerGradientNorms[0].Norm / sigmoid.LayerGradientNorms[^1].Norm;
        var reluRatio = relu.LayerGradientNorms[0].Norm / relu.LayerGradientNorms[^1].Norm;
        Assert.Equal(10, sigmoid.LayerGradientNorms.Count);
        Assert.True(sigmoidRatio < 1e-5, $"sigmoid first/last layer gradient norm {sigmoidRatio}");
        Assert.True(reluRatio > 0.1, $"ReLU first/last layer gradient norm {reluRatio}");
        Assert.True(sigmoid.ValidationAccuracy < 0.2, $"sigmoid validation accuracy {sigmoid.ValidationAccuracy}");
        Assert.True(relu.ValidationAccuracy > 0.85, $"ReLU validation accuracy {relu.ValidationAccuracy}");
    }

    [Fact]
    public async Task SmallSplit_RegularizationNarrowsGap()
    {
        var plain = await FinalEpochAsync("examples/overfitting/no-regularization.json");
        var regularized = await FinalEpochAsync("examples/overfitting/dropout-weight-decay.json");

        var plainGap = plain.ValidationLoss - plain.TrainLoss;
        var regularizedGap = regularized.ValidationLoss - regularized.TrainLoss;
        Assert.True(plain.TrainLoss < 1e-3, $"training loss without regularization {plain.TrainLoss}");
        Assert.True(regularizedGap < plainGap - 0.03, $"gap with regularization {regularizedGap}, without {plainGap}");
        Assert.True(regularized.ValidationLoss < plain.ValidationLoss, $"validation loss {regularized.ValidationLoss} vs {plain.ValidationLoss}");
    }

    [Fact]
    public void Readme_DocumentsEveryExampleFile()
    {
        var folder = Path.Combine(RepositoryPaths.Root, "examples");
        var readme = File.ReadAllText(Path.Combine(folder, "README.md"));

        var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(path => !path.EndsWith("README.md", StringComparison.Ordinal))
            .Select(path => Path.GetFileName(path));

        Assert.All(files, file => Assert.Contains(file, readme));
    }

    private async Task<(string JobId, CliResult Result)> SubmitAsync(string file)
    {
        var result = await Trainctl.RunAsync(service.GrpcUrl, "submit", file, "--watch", "--progress", "plain");
        return (result.OutputLines.Length > 0 ? result.OutputLines[0] : "", result);
    }

    private async Task<EpochMetrics> FinalEpochAsync(string file)
    {
        var (jobId, result) = await SubmitAsync(file);
        Assert.True(result.ExitCode == 0, $"{file}: {result}\n{service.Diagnostics()}");

        var metrics = await service.Client.GetMetricsAsync(new GetMetricsRequest { JobId = jobId, MaxSteps = 1 });
        return metrics.Epochs[^1];
    }
}
