using System.Globalization;
using System.Text.Json;
using System.Xml.Linq;
using Training.V1;
using TrainingService.IntegrationTests.Infrastructure;

namespace TrainingService.IntegrationTests.Cli;

/// <summary>Each trainctl command run as a process against the real service, checked by its output and exit code.</summary>
[Collection(ServiceTestGroup.Name)]
public sealed class CliCommandTests(ServiceFixture service) : IDisposable
{
    private readonly CliTestFiles _files = new();

    [Fact]
    public async Task SubmitWatch_YamlFile_EndsWithSummary()
    {
        var result = await RunAsync("submit", "examples/line-fit.yaml", "--watch");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(Guid.TryParse(result.OutputLines[0], out _), result.ToString());
        Assert.Contains("epoch 30/30: train loss", result.Output);
        Assert.Contains($"job {result.OutputLines[0]}: SUCCEEDED", result.Output);
        Assert.Contains($"summary: job {result.OutputLines[0]} SUCCEEDED after 30 of 30 epochs", result.Output);
        Assert.DoesNotContain("\r", result.Output);
    }

    [Fact]
    public async Task Submit_InvalidSpec_PrintsEachViolationAndExits2()
    {
        var spec = Specs.Digits();
        spec.Optimizer.LearningRate = -0.1;
        spec.Network.Layers[1].Dense.Units = 3;
        spec.Training.BatchSize = 0;

        var result = await RunAsync("submit", _files.WriteSpec("invalid.json", spec));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("spec.optimizer.learning_rate: is -0.1", result.Error);
        Assert.Contains("spec.network.layers[1].dense.units: is 3", result.Error);
        Assert.Contains("spec.training.batch_size: is 0", result.Error);
        Assert.Equal("", result.Output);
    }

    [Fact]
    public async Task Submit_UnreadableJobFiles_Exit2BeforeAnyCall()
    {
        var unknownField = _files.Write("unknown.json", """{ "name": "x", "epochz": 3 }""");
        var badYaml = _files.Write("bad.yaml", "name: x\ndataset: {name: digits\n");
        var server = "http://127.0.0.1:" + HostProcess.FreePort();

        var unknown = await Trainctl.RunAsync(server, "submit", unknownField);
        var yaml = await Trainctl.RunAsync(server, "submit", badYaml);
        var missing = await Trainctl.RunAsync(server, "submit", _files.PathOf("missing.json"));

        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("epochz", unknown.Error);
        Assert.Equal(2, yaml.ExitCode);
        Assert.Contains("invalid YAML in job file", yaml.Error);
        Assert.Contains("line 3", yaml.Error);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("cannot read job file", missing.Error);
    }

    [Fact]
    public async Task Submit_YamlOverflowAndAliasBomb_Exit2Quickly()
    {
        var overflow = _files.Write("overflow.yaml", "name: x\ntraining: {epochs: 1e999}\n");
        var bombLines = new List<string> { "a0: &a0 [" + string.Join(",", Enumerable.Repeat("x", 10)) + "]" };
        for (var level = 1; level <= 6; level++)
        {
            bombLines.Add($"a{level}: &a{level} [" + string.Join(",", Enumerable.Repeat($"*a{level - 1}", 10)) + "]");
        }

        bombLines.Add("name: *a6");
        var bomb = _files.Write("bomb.yaml", string.Join('\n', bombLines) + "\n");
        var server = "http://127.0.0.1:" + HostProcess.FreePort();

        var tooLarge = await Trainctl.RunAsync(server, "submit", overflow);
        var expanded = await Trainctl.RunAsync(server, "submit", bomb);

        Assert.Equal(2, tooLarge.ExitCode);
        Assert.Contains("out of range", tooLarge.Error);
        Assert.Equal(2, expanded.ExitCode);
        Assert.Contains("expands to more than", expanded.Error);
    }

    [Fact]
    public async Task Get_KnownAndUnknownJobs_Exit0Or2()
    {
        var jobId = await SubmitAndWatchAsync(LineFitSpec("get"));
        var unknownId = Guid.NewGuid().ToString();

        var found = await RunAsync("get", jobId);
        var unknown = await RunAsync("get", unknownId);

        Assert.True(found.ExitCode == 0, found.ToString());
        Assert.Contains($"id: {jobId}", found.Output);
        Assert.Contains("state: SUCCEEDED", found.Output);
        Assert.Contains("latest epoch 30/30: train loss", found.Output);
        Assert.Contains($"model: postgresql:models/{jobId}", found.Output);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains($"job {unknownId} not found", unknown.Error);
    }

    [Fact]
    public async Task List_StateFilter_ListsOnlyThatState()
    {
        var succeededId = await SubmitAndWatchAsync(LineFitSpec("list-succeeded"));
        var failedId = await SubmitAndWatchAsync(DivergingSpec(), expectedExitCode: 1);

        var all = await RunAsync("list");
        var succeeded = await RunAsync("list", "--state", "succeeded");
        var failed = await RunAsync("list", "--state", "failed");
        var invalid = await RunAsync("list", "--state", "finished");

        Assert.True(all.ExitCode == 0, all.ToString());
        Assert.StartsWith("ID", all.OutputLines[0]);
        Assert.Contains(succeededId, all.Output);
        Assert.Contains(failedId, all.Output);
        Assert.Contains(succeededId, succeeded.Output);
        Assert.DoesNotContain(failedId, succeeded.Output);
        Assert.Contains(failedId, failed.Output);
        Assert.DoesNotContain(succeededId, failed.Output);
        Assert.Equal(2, invalid.ExitCode);
    }

    [Fact]
    public async Task Cancel_RunningJob_EndsCancelled()
    {
        var spec = Specs.Digits(epochs: 1000, name: "cli-cancel");
        spec.Training.BatchSize = 1;
        var submit = await RunAsync("submit", _files.WriteSpec("cancel.json", spec));
        var jobId = submit.OutputLines[0];

        var cancel = await RunAsync("cancel", jobId);
        var watch = await RunAsync("watch", jobId);
        var again = await RunAsync("cancel", jobId);
        var download = await RunAsync("download", jobId, "--out", _files.PathOf("cancelled.model"));

        Assert.True(cancel.ExitCode == 0, cancel.ToString());
        Assert.Contains($"job {jobId}:", cancel.Output);
        Assert.Equal(1, watch.ExitCode);
        Assert.Contains($"summary: job {jobId} CANCELLED", watch.Output);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("only queued or running jobs can be cancelled", again.Error);
        Assert.Equal(2, download.ExitCode);
        Assert.Contains("only a succeeded job has a trained model", download.Error);
        Assert.False(File.Exists(_files.PathOf("cancelled.model")));
    }

    [Fact]
    public async Task Watch_ProgressBar_RedrawsOneLinePerEpoch()
    {
        // The fixture's workers sample a step event every 100 ms, so epochs must last longer than that for
        // epochs 2 and 3 to have one each.
        var spec = Specs.Digits(epochs: 3, name: "cli-bar");
        spec.Training.BatchSize = 2;
        var jobId = await SubmitAndWatchAsync(spec);

        var bar = await RunAsync("watch", jobId, "--progress", "bar");
        var plain = await RunAsync("watch", jobId, "--progress", "plain");

        Assert.True(bar.ExitCode == 0, bar.ToString());
        Assert.True(bar.Output.Contains('\r', StringComparison.Ordinal), bar.ToString());
        Assert.Matches(@"\repoch 1/3 step \d+  loss \S+", bar.Output);
        Assert.Matches(@"\repoch [23]/3 \[[#-]{24}\] \d+/\d+ steps  loss \S+  val acc \d\.\d{4}  \d+ samples/s  \d+:\d\d left", bar.Output);
        Assert.Contains("epoch 3/3: train loss", bar.Output);
        Assert.DoesNotContain("\r", plain.Output);
        Assert.Contains("best validation accuracy", plain.Output);
    }

    [Fact]
    public async Task Metrics_Table_PrintsOneRowPerEpoch()
    {
        var jobId = await SubmitAndWatchAsync(Specs.Digits(epochs: 2, name: "cli-metrics"));

        var result = await RunAsync("metrics", jobId);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(3, result.OutputLines.Length);
        Assert.StartsWith("EPOCH  STEP  TRAIN LOSS  TRAIN ACC  VAL LOSS  VAL ACC", result.OutputLines[0]);
        Assert.StartsWith("1 ", result.OutputLines[1]);
        Assert.StartsWith("2 ", result.OutputLines[2]);
    }

    [Fact]
    public async Task MetricsCsv_Steps_HaveLayerColumns()
    {
        var spec = Specs.Digits(epochs: 2, name: "cli-csv");
        var jobId = await SubmitAndWatchAsync(spec);
        var job = await service.Client.GetJobAsync(new GetJobRequest { JobId = jobId });

        var result = await RunAsync("metrics", jobId, "--csv");

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.OutputLines;
        Assert.Equal("step,epoch,loss,gradient_norm,clipped_gradient_norm,learning_rate,dense0_gradient_norm,dense1_gradient_norm", lines[0]);
        Assert.Equal(job.Result.Steps + 1, lines.Length);
        var steps = lines.Skip(1).Select(line => line.Split(',')).ToList();
        Assert.All(steps, cells => Assert.Equal(8, cells.Length));
        Assert.Equal(Enumerable.Range(1, (int)job.Result.Steps).Select(i => i.ToString(CultureInfo.InvariantCulture)), steps.Select(cells => cells[0]));
        Assert.Equal("2", steps[^1][1]);
        Assert.All(steps, cells => Assert.True(double.Parse(cells[2], CultureInfo.InvariantCulture) > 0));
    }

    [Fact]
    public async Task Plot_TwoJobsToPng_SizedNonBlankImage()
    {
        var first = await SubmitAndWatchAsync(Specs.Digits(epochs: 2, name: "cli-plot-a"));
        var second = await SubmitAndWatchAsync(LineFitSpec("cli-plot-b"));
        var path = _files.PathOf("jobs.png");

        var result = await RunAsync("plot", first, second, "--out", path, "--width", "900", "--height", "1000");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("wrote a 900x1000 chart of 2 job(s)", result.Output);
        var image = PngImage.Decode(await File.ReadAllBytesAsync(path));
        Assert.Equal(900, image.Width);
        Assert.Equal(1000, image.Height);
        var colors = image.Pixels.GroupBy(pixel => pixel).Select(group => group.Count()).OrderDescending().ToList();
        Assert.True(colors.Count > 50, $"only {colors.Count} distinct colours");
        Assert.True(colors[0] < 0.98 * image.Pixels.Length, $"the commonest colour covers {colors[0]} of {image.Pixels.Length} pixels");
    }

    [Fact]
    public async Task Plot_Svg_HasRequestedSizeAndTitles()
    {
        var jobId = await SubmitAndWatchAsync(LineFitSpec("cli-plot-svg"));
        var path = _files.PathOf("job.svg");

        var result = await RunAsync("plot", jobId, "--out", path);

        Assert.True(result.ExitCode == 0, result.ToString());
        var svg = XDocument.Load(path).Root!;
        Assert.Equal("svg", svg.Name.LocalName);
        Assert.Equal("1200", (string?)svg.Attribute("width"));
        Assert.Equal("700", (string?)svg.Attribute("height"));
        var text = string.Concat(svg.Descendants().Where(element => element.Name.LocalName == "text").Select(element => element.Value));
        Assert.Contains("Gradient norm per layer", text);
        Assert.Contains("cli-plot-svg", text);
        Assert.True(svg.Descendants().Count(element => element.Name.LocalName == "path") > 10);
    }

    [Fact]
    public async Task Plot_UnsupportedExtensionOrUnknownJob_Exits2()
    {
        var extension = await RunAsync("plot", Guid.NewGuid().ToString(), "--out", _files.PathOf("chart.gif"));
        var unknownId = Guid.NewGuid().ToString();
        var unknown = await RunAsync("plot", unknownId, "--out", _files.PathOf("chart.png"));

        Assert.Equal(2, extension.ExitCode);
        Assert.Contains("--out must name a .png or .svg file", extension.Error);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains($"job {unknownId} not found", unknown.Error);
        Assert.False(File.Exists(_files.PathOf("chart.png")));
    }

    [Fact]
    public async Task Download_SucceededJob_WritesModelAndDescription()
    {
        var jobId = await SubmitAndWatchAsync(Specs.Digits(epochs: 1, name: "cli-download"));
        var job = await service.Client.GetJobAsync(new GetJobRequest { JobId = jobId });
        var path = _files.PathOf("digits.model");

        var result = await RunAsync("download", jobId, "--out", path);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(job.Result.ModelSizeBytes, new FileInfo(path).Length);
        using var description = JsonDocument.Parse(await File.ReadAllTextAsync(path + ".json"));
        Assert.Equal(jobId, description.RootElement.GetProperty("jobId").GetString());
        Assert.Equal("torchsharp-state-dict", description.RootElement.GetProperty("format").GetString());
        Assert.Equal("cli-download", description.RootElement.GetProperty("spec").GetProperty("name").GetString());
        Assert.Contains("Scale", description.RootElement.GetProperty("preprocessingJson").GetString());
        Assert.False(File.Exists(path + ".partial"));
    }

    [Fact]
    public async Task Predict_LineFit_PrintsTwiceEachInput()
    {
        var jobId = await SubmitAndWatchAsync(LineFitSpec("cli-predict"));
        var json = _files.Write("inputs.json", "[[1.5], [-0.25]]");

        var text = await RunAsync("predict", jobId, "--input", "examples/line-fit-inputs.csv");
        var csv = await RunAsync("predict", jobId, "--input", "examples/line-fit-inputs.csv", "--output", "csv");
        var fromJson = await RunAsync("predict", jobId, "--input", json, "--output", "csv");

        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Equal(["row 1", "row 2", "row 3", "row 4"], text.OutputLines.Select(line => line.Split(':')[0]));
        Assert.Equal([-2.0, 0.0, 1.0, 6.0], text.OutputLines.Select(line => double.Parse(line.Split(": ")[1], CultureInfo.InvariantCulture)), new ToleranceComparer(0.01));
        Assert.Equal("row,output_0", csv.OutputLines[0]);
        Assert.Equal(5, csv.OutputLines.Length);
        Assert.Equal(6.0, double.Parse(csv.OutputLines[4].Split(',')[1], CultureInfo.InvariantCulture), 0.01);
        Assert.True(fromJson.ExitCode == 0, fromJson.ToString());
        Assert.Equal(3.0, double.Parse(fromJson.OutputLines[1].Split(',')[1], CultureInfo.InvariantCulture), 0.01);
        Assert.Equal(-0.5, double.Parse(fromJson.OutputLines[2].Split(',')[1], CultureInfo.InvariantCulture), 0.01);
    }

    [Fact]
    public async Task Predict_Classifier_PrintsClassAndProbabilities()
    {
        var jobId = await SubmitAndWatchAsync(Specs.Digits(epochs: 5, name: "cli-predict-digits"));

        var result = await RunAsync("predict", jobId, "--input", "examples/digits-rows.csv");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(10, result.OutputLines.Length);
        Assert.All(result.OutputLines, line => Assert.Matches(@"^row \d+: class \d, probabilities( \d\.\d{4}){10}$", line));
        var expected = File.ReadLines(Path.Combine(RepositoryPaths.Root, "examples", "digits-rows.csv"))
            .Single(line => line.StartsWith("# Their true classes", StringComparison.Ordinal)).Split(':')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var predicted = result.OutputLines.Select(line => line.Split("class ")[1][0].ToString()).ToList();
        var correct = expected.Zip(predicted).Count(pair => pair.First == pair.Second);
        Assert.True(correct >= 8, $"{correct} of 10 right: expected {string.Join(' ', expected)}, predicted {string.Join(' ', predicted)}");
    }

    [Fact]
    public async Task Predict_InvalidRows_Exits2WithServerViolations()
    {
        var jobId = await SubmitAndWatchAsync(LineFitSpec("cli-predict-bad"));
        var rows = _files.Write("bad.csv", "x\n1\nNaN\n1,2\n");
        var notNumbers = _files.Write("words.csv", "1\nabc\n");

        var invalid = await RunAsync("predict", jobId, "--input", rows);
        var words = await RunAsync("predict", jobId, "--input", notNumbers);

        Assert.Equal(2, invalid.ExitCode);
        Assert.Contains("rows[1].values[0] (line 3): is NaN; every value must be finite", invalid.Error);
        Assert.Contains("rows[2].values (line 4): has 2 values; dataset 'linear' has 1 features", invalid.Error);
        Assert.Equal("", invalid.Output);
        Assert.Equal(2, words.ExitCode);
        Assert.Contains("line 2, column 1: 'abc' is not a number", words.Error);
    }

    [Fact]
    public async Task AnyCommand_ServerDown_Exits3()
    {
        var server = "http://127.0.0.1:" + HostProcess.FreePort();
        var jobId = Guid.NewGuid().ToString();

        var results = new[]
        {
            await Trainctl.RunAsync(server, "list"),
            await Trainctl.RunAsync(server, "get", jobId),
            await Trainctl.RunAsync(server, "watch", jobId),
            await Trainctl.RunAsync(server, "metrics", jobId),
            await Trainctl.RunAsync(server, "submit", "examples/line-fit.yaml"),
        };

        Assert.All(results, result => Assert.True(result.ExitCode == 3, result.ToString()));
        Assert.All(results, result => Assert.Contains($"cannot reach the training service at {server}", result.Error));
    }

    [Fact]
    public async Task BadUsage_Exits2()
    {
        var noCommand = await RunAsync();
        var unknownCommand = await RunAsync("train", "x");
        var missingOut = await RunAsync("download", Guid.NewGuid().ToString());
        var badServer = await Trainctl.RunAsync("ftp://127.0.0.1", "list");
        var tlsOptionOnHttp = await RunAsync("--insecure-skip-verify", "list");

        Assert.Equal(2, noCommand.ExitCode);
        Assert.Equal(2, unknownCommand.ExitCode);
        Assert.Equal(2, missingOut.ExitCode);
        Assert.Contains("--out", missingOut.Error);
        Assert.Equal(2, badServer.ExitCode);
        Assert.Contains("invalid server address 'ftp://127.0.0.1'", badServer.Error);
        Assert.Equal(2, tlsOptionOnHttp.ExitCode);
    }

    [Fact]
    public async Task ServerAndApiKey_FromEnvironment_AreUsed()
    {
        var environment = new Dictionary<string, string> { ["TRAINING_SERVER"] = service.GrpcUrl, ["TRAINING_API_KEY"] = service.ApiKey };
        var wrongKey = new Dictionary<string, string> { ["TRAINING_SERVER"] = service.GrpcUrl, ["TRAINING_API_KEY"] = "tsk_wrong" };
        await using var process = Trainctl.Start(["list"], environment);
        await using var rejected = Trainctl.Start(["list"], wrongKey);

        var result = await process.WaitAsync();
        var rejectedResult = await rejected.WaitAsync();

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.NotEqual(0, rejectedResult.ExitCode);
        Assert.Contains("API key", rejectedResult.Error);
    }

    public void Dispose() => _files.Dispose();

    private Task<CliResult> RunAsync(params string[] arguments) => Trainctl.RunAsync(service.GrpcUrl, arguments);

    /// <summary>Submits a spec with --watch and returns the job id once the watch has ended with the expected exit code.</summary>
    private async Task<string> SubmitAndWatchAsync(JobSpec spec, int expectedExitCode = 0)
    {
        var file = _files.WriteSpec($"{spec.Name}-{Guid.NewGuid():N}.json", spec);
        var result = await RunAsync("submit", file, "--watch");
        Assert.True(result.ExitCode == expectedExitCode, $"{result}\n{service.Diagnostics()}");
        return result.OutputLines[0];
    }

    private static JobSpec LineFitSpec(string name)
    {
        var spec = Specs.LineFit(new OptimizerSpec { LearningRate = 0.5, Sgd = new SgdOptions() }, epochs: 30);
        spec.Name = name;
        return spec;
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(double obj) => 0;
    }

    private static JobSpec DivergingSpec()
    {
        var spec = Specs.LineFit(new OptimizerSpec { LearningRate = 1000, Sgd = new SgdOptions() }, epochs: 50);
        spec.Name = "cli-diverges";
        return spec;
    }
}
