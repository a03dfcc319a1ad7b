using Training.V1;
using TrainingService.Core.Datasets;
using TrainingService.Core.Training;

namespace TrainingService.Core.Specs;

/// <summary>
/// Checks a job spec before it is queued, so that a worker never starts a job that cannot run. Every
/// violation names the field by its path in proto field names, such as "network.layers[2].dense.units";
/// all of them are reported at once.
/// </summary>
public static partial class JobSpecValidator
{
    public const int MaxNameLength = 200;
    public const int MaxUnits = 65_536;
    public const int MaxEpochs = 1_000;
    public const int MaxSyntheticPoints = 100_000;
    public const double MaxLearningRate = 1e6;
    public const long MaxWarmupSteps = 10_000_000;
    public const long MaxTimeoutSeconds = 7 * 24 * 3600;

    public static IReadOnlyList<FieldViolation> Validate(JobSpec? spec) => Validate(spec, JobLimits.Default);

    public static IReadOnlyList<FieldViolation> Validate(JobSpec? spec, JobLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var violations = new ViolationList();

        if (spec is null)
        {
            violations.Add("spec", "is required");
            return violations;
        }

        if (spec.Name.Length > MaxNameLength)
        {
            violations.Add("name", $"is {spec.Name.Length} characters long; the maximum is {MaxNameLength}");
        }
        else if (spec.Name.Any(char.IsControl))
        {
            // A line break in a name would let it forge lines in logs and tables that print it.
            violations.Add("name", "contains a control character such as a line break; use printable characters only");
        }

        var dataset = ValidateDataset(spec.Dataset, violations);
        var loss = ValidateLoss(spec.Training, dataset, violations);
        ValidateNetwork(spec, dataset, loss, limits, violations);
        ValidateOptimizer(spec.Optimizer, violations);
        ValidateRegularization(spec, violations);
        ValidateTraining(spec, dataset, limits, violations);

        if (violations.Count == 0 && dataset is not null && loss is { } lossKind)
        {
            ValidateResources(spec, dataset, lossKind, limits, violations);
        }

        return violations;
    }

    private static DatasetInfo? ValidateDataset(DatasetSpec? dataset, ViolationList violations)
    {
        if (dataset is null)
        {
            violations.Add("dataset", "is required");
            return null;
        }

        var info = DatasetCatalog.Find(dataset.Name);
        if (info is null)
        {
            var known = string.Join(", ", DatasetCatalog.All.Select(d => d.Name));
            var problem = dataset.Name.Length == 0 ? "is required" : $"'{Truncate(dataset.Name)}' is not a built-in dataset";
            violations.Add("dataset.name", $"{problem}; choose one of {known}");
        }

        var validation = dataset.GetValidationFraction();
        var test = dataset.GetTestFraction();
        var fractionsValid = violations.InRange(validation, "dataset.validation_fraction", 0, 1, maxExclusive: true)
            & violations.InRange(test, "dataset.test_fraction", 0, 1, maxExclusive: true);

        if (fractionsValid && validation + test >= 1)
        {
            violations.Add("dataset.test_fraction",
                $"validation_fraction {validation} and test_fraction {test} add up to {validation + test}, leaving nothing to train on; they must add up to less than 1");
            fractionsValid = false;
        }

        var syntheticValid = info is null || ValidateSynthetic(dataset, info, violations);
        return fractionsValid && syntheticValid ? info : null;
    }

    private static bool ValidateSynthetic(DatasetSpec dataset, DatasetInfo info, ViolationList violations)
    {
        var synthetic = dataset.Synthetic;
        if (synthetic is null)
        {
            return true;
        }

        if (!info.IsSynthetic)
        {
            violations.Add("dataset.synthetic", $"applies only to the synthetic datasets linear, xor and spirals, not to '{info.Name}'");
            return false;
        }

        var count = violations.Count;
        if (synthetic.HasPoints)
        {
            violations.InRange(synthetic.Points, "dataset.synthetic.points", 2, MaxSyntheticPoints);
        }

        if (synthetic.HasNoise)
        {
            violations.InRange(synthetic.Noise, "dataset.synthetic.noise", 0, 10);
        }

        if (synthetic.HasSlope)
        {
            violations.InRange(synthetic.Slope, "dataset.synthetic.slope", -1e6, 1e6);
        }

        violations.InRange(synthetic.Intercept, "dataset.synthetic.intercept", -1e6, 1e6);

        if ((synthetic.HasSlope || synthetic.Intercept != 0) && info.Name != "linear")
        {
            violations.Add("dataset.synthetic.slope", $"and intercept apply only to the linear dataset, not to '{info.Name}'");
        }

        return violations.Count == count;
    }

    private static LossKind? ValidateLoss(TrainingSettings? training, DatasetInfo? dataset, ViolationList violations)
    {
        if (training is null || !violations.KnownEnum(training.Loss, "training.loss", "loss") || dataset is null)
        {
            return null;
        }

        var loss = LossSelection.Resolve(training.Loss, dataset);
        if (LossSelection.Incompatibility(loss, dataset) is { } reason)
        {
            violations.Add("training.loss", reason);
            return null;
        }

        return loss;
    }

    private static void ValidateTraining(JobSpec spec, DatasetInfo? dataset, JobLimits limits, ViolationList violations)
    {
        var training = spec.Training;
        if (training is null)
        {
            violations.Add("training", "is required");
            return;
        }

        violations.InRange(training.Epochs, "training.epochs", 1, MaxEpochs);
        violations.InRange(training.TimeoutSeconds, "training.timeout_seconds", 0, MaxTimeoutSeconds);

        if (training.BatchSize < 1)
        {
            violations.Add("training.batch_size", $"is {training.BatchSize}; it must be at least 1");
        }
        else if (dataset is not null && TrainCount(spec.Dataset, dataset) is var count && training.BatchSize > count)
        {
            violations.Add("training.batch_size", $"is {training.BatchSize}, larger than the {count} examples of the training split");
        }

        if (dataset is not null && training.Epochs >= 1 && (long)training.Epochs * TrainCount(spec.Dataset, dataset) is var examples && examples > limits.MaxTrainingExamples)
        {
            violations.Add("training.epochs",
                $"is {training.Epochs}, so the run would process {examples} examples ({training.Epochs} epochs of {TrainCount(spec.Dataset, dataset)}); the limit is {limits.MaxTrainingExamples}");
        }
    }

    private static void ValidateResources(JobSpec spec, DatasetInfo dataset, LossKind loss, JobLimits limits, ViolationList violations)
    {
        var estimate = ResourceEstimate.For(spec, dataset, DatasetCatalog.ExampleCount(spec.Dataset, dataset), LossSelection.OutputWidth(loss, dataset));

        if (estimate.Parameters > limits.MaxParameters)
        {
            violations.Add("network.layers", $"has {estimate.Parameters} parameters; the limit is {limits.MaxParameters}. Use fewer or narrower layers");
        }
        else if (estimate.MemoryBytes > limits.MaxEstimatedMemoryBytes)
        {
            violations.Add("network.layers",
                $"needs an estimated {estimate.MemoryBytes >> 20} MiB ({estimate.ParameterBytes >> 20} MiB of weights, gradients and optimizer state, " +
                $"{estimate.ActivationBytes >> 20} MiB of activations for a batch of {spec.Training.BatchSize}, {estimate.DatasetBytes >> 20} MiB of data); " +
                $"the limit is {limits.MaxEstimatedMemoryBytes >> 20} MiB. Use narrower layers or a smaller training.batch_size");
        }
    }

    private static int TrainCount(DatasetSpec dataset, DatasetInfo info) =>
        DatasetSplits.TrainingCount(DatasetCatalog.ExampleCount(dataset, info), dataset.GetValidationFraction(), dataset.GetTestFraction());

    private static string Truncate(string value) => value.Length <= 40 ? value : value[..40] + "…";
}
