using Training.V1;
using TrainingService.Core.Datasets;

namespace TrainingService.Core.Specs;

/// <summary>
/// Checks a job spec before it is queued, so that a worker never starts a job that cannot run. Every
/// violation names the field by its path in proto field names; all of them are reported at once.
/// </summary>
public static class JobSpecValidator
{
    public const int MaxNameLength = 200;
    public const int MaxLayers = 64;
    public const int MaxUnits = 65_536;
    public const int MaxEpochs = 1_000;
    public const double MaxLearningRate = 10;
    public const long MaxParameters = 50_000_000;

    public static IReadOnlyList<FieldViolation> Validate(JobSpec? spec)
    {
        var violations = new List<FieldViolation>();

        if (spec is null)
        {
            violations.Add(new("spec", "is required"));
            return violations;
        }

        if (spec.Name.Length > MaxNameLength)
        {
            violations.Add(new("name", $"is {spec.Name.Length} characters long; the maximum is {MaxNameLength}"));
        }

        var dataset = ValidateDataset(spec.Dataset, violations);
        var trainCount = dataset is null ? (int?)null : TrainCount(spec.Dataset, dataset);
        ValidateNetwork(spec, dataset, violations);
        ValidateOptimizer(spec.Optimizer, violations);
        ValidateRegularization(spec, violations);
        ValidateTraining(spec.Training, trainCount, violations);
        return violations;
    }

    private static DatasetInfo? ValidateDataset(DatasetSpec? dataset, List<FieldViolation> violations)
    {
        if (dataset is null)
        {
            violations.Add(new("dataset", "is required"));
            return null;
        }

        var info = DatasetCatalog.Find(dataset.Name);
        if (info is null)
        {
            var known = string.Join(", ", DatasetCatalog.All.Select(d => d.Name));
            var shown = dataset.Name.Length == 0 ? "is required" : $"'{Truncate(dataset.Name)}' is not a built-in dataset";
            violations.Add(new("dataset.name", $"{shown}; choose one of {known}"));
        }

        var validation = dataset.GetValidationFraction();
        var test = dataset.GetTestFraction();
        var fractionsValid = CheckOpenFraction(validation, "dataset.validation_fraction", violations)
            & CheckOpenFraction(test, "dataset.test_fraction", violations);

        if (fractionsValid && validation + test >= 1)
        {
            violations.Add(new("dataset.test_fraction",
                $"validation_fraction {validation} and test_fraction {test} add up to {validation + test}, leaving nothing to train on; they must add up to less than 1"));
            return null;
        }

        return fractionsValid ? info : null;
    }

    private static int TrainCount(DatasetSpec dataset, DatasetInfo info) =>
        DatasetSplits.TrainingCount(info.Count, dataset.GetValidationFraction(), dataset.GetTestFraction());

    private static void ValidateNetwork(JobSpec spec, DatasetInfo? dataset, List<FieldViolation> violations)
    {
        var network = spec.Network;
        if (network is null || network.Layers.Count == 0)
        {
            violations.Add(new("network.layers", "needs at least one layer; the last one's units must equal the number of classes"));
            return;
        }

        if (network.Layers.Count > MaxLayers)
        {
            violations.Add(new("network.layers", $"has {network.Layers.Count} layers; the maximum is {MaxLayers}"));
            return;
        }

        var layersValid = true;
        for (var i = 0; i < network.Layers.Count; i++)
        {
            layersValid &= ValidateLayer(spec, i, violations);
        }

        if (layersValid && dataset is not null)
        {
            ValidateShape(network, dataset, violations);
        }
    }

    private static bool ValidateLayer(JobSpec spec, int index, List<FieldViolation> violations)
    {
        var path = $"network.layers[{index}]";
        var layer = spec.Network.Layers[index];

        if (layer.KindCase != LayerSpec.KindOneofCase.Dense)
        {
            violations.Add(new(path, "has no layer kind; set dense"));
            return false;
        }

        var dense = layer.Dense;
        var count = violations.Count;

        if (dense.Units < 1 || dense.Units > MaxUnits)
        {
            violations.Add(new($"{path}.dense.units", $"is {dense.Units}; it must be from 1 to {MaxUnits}"));
        }

        if (!Enum.IsDefined(dense.Activation))
        {
            violations.Add(new($"{path}.dense.activation", $"{(int)dense.Activation} is not a known activation"));
        }

        if (dense.HasDropout)
        {
            CheckDropout(dense.Dropout, $"{path}.dense.dropout", violations);
        }

        return violations.Count == count;
    }

    private static void ValidateShape(NetworkSpec network, DatasetInfo dataset, List<FieldViolation> violations)
    {
        var last = network.Layers.Count - 1;
        var outputUnits = network.Layers[last].Dense.Units;

        if (outputUnits != dataset.ClassCount)
        {
            violations.Add(new($"network.layers[{last}].dense.units",
                $"is {outputUnits}, but dataset '{dataset.Name}' has {dataset.ClassCount} classes: the last layer must output one logit per class"));
        }

        long parameters = 0;
        long inputs = dataset.FeatureCount;
        foreach (var layer in network.Layers)
        {
            parameters += (inputs + 1) * layer.Dense.Units;
            inputs = layer.Dense.Units;
        }

        if (parameters > MaxParameters)
        {
            violations.Add(new("network.layers", $"has {parameters} parameters; the maximum is {MaxParameters}"));
        }
    }

    private static void ValidateOptimizer(OptimizerSpec? optimizer, List<FieldViolation> violations)
    {
        if (optimizer is null)
        {
            violations.Add(new("optimizer", "is required"));
            return;
        }

        var rate = optimizer.LearningRate;
        if (!double.IsFinite(rate) || rate <= 0 || rate > MaxLearningRate)
        {
            violations.Add(new("optimizer.learning_rate", $"is {rate}; it must be above 0 and at most {MaxLearningRate}"));
        }

        switch (optimizer.KindCase)
        {
            case OptimizerSpec.KindOneofCase.Sgd:
                ValidateSgd(optimizer.Sgd, violations);
                break;
            case OptimizerSpec.KindOneofCase.Adam:
                ValidateBetas("optimizer.adam", optimizer.Adam.HasBeta1 ? optimizer.Adam.Beta1 : null,
                    optimizer.Adam.HasBeta2 ? optimizer.Adam.Beta2 : null, optimizer.Adam.HasEpsilon ? optimizer.Adam.Epsilon : null, violations);
                break;
            case OptimizerSpec.KindOneofCase.Adamw:
                ValidateBetas("optimizer.adamw", optimizer.Adamw.HasBeta1 ? optimizer.Adamw.Beta1 : null,
                    optimizer.Adamw.HasBeta2 ? optimizer.Adamw.Beta2 : null, optimizer.Adamw.HasEpsilon ? optimizer.Adamw.Epsilon : null, violations);
                break;
            default:
                violations.Add(new("optimizer", "has no optimizer kind; set one of sgd, adam, adamw"));
                break;
        }
    }

    private static void ValidateSgd(SgdOptions sgd, List<FieldViolation> violations)
    {
        CheckHalfOpenFraction(sgd.Momentum, "optimizer.sgd.momentum", violations);
        CheckHalfOpenFraction(sgd.Dampening, "optimizer.sgd.dampening", violations);

        if (sgd.Nesterov && (sgd.Momentum <= 0 || sgd.Dampening != 0))
        {
            violations.Add(new("optimizer.sgd.nesterov", "needs momentum above 0 and dampening 0"));
        }
    }

    private static void ValidateBetas(string path, double? beta1, double? beta2, double? epsilon, List<FieldViolation> violations)
    {
        if (beta1 is { } b1)
        {
            CheckHalfOpenFraction(b1, $"{path}.beta1", violations);
        }

        if (beta2 is { } b2)
        {
            CheckHalfOpenFraction(b2, $"{path}.beta2", violations);
        }

        if (epsilon is { } eps && (!double.IsFinite(eps) || eps <= 0 || eps > 1))
        {
            violations.Add(new($"{path}.epsilon", $"is {eps}; it must be above 0 and at most 1"));
        }
    }

    private static void ValidateRegularization(JobSpec spec, List<FieldViolation> violations)
    {
        var regularization = spec.Regularization;
        if (regularization is null)
        {
            return;
        }

        var isAdamW = spec.Optimizer?.KindCase == OptimizerSpec.KindOneofCase.Adamw;
        if (CheckCoefficient(regularization.L2, "regularization.l2", violations) && regularization.L2 > 0 && isAdamW)
        {
            violations.Add(new("regularization.l2",
                "is an L2 penalty added to the gradient, which AdamW does not take; use regularization.weight_decay for AdamW's decoupled weight decay"));
        }

        if (CheckCoefficient(regularization.WeightDecay, "regularization.weight_decay", violations) && regularization.WeightDecay > 0 && !isAdamW)
        {
            violations.Add(new("regularization.weight_decay",
                "is decoupled weight decay, which only AdamW applies; use regularization.l2 for an L2 penalty with SGD or Adam"));
        }

        CheckDropout(regularization.Dropout, "regularization.dropout", violations);
    }

    private static void ValidateTraining(TrainingSettings? training, int? trainCount, List<FieldViolation> violations)
    {
        if (training is null)
        {
            violations.Add(new("training", "is required"));
            return;
        }

        if (training.Epochs < 1 || training.Epochs > MaxEpochs)
        {
            violations.Add(new("training.epochs", $"is {training.Epochs}; it must be from 1 to {MaxEpochs}"));
        }

        if (training.BatchSize < 1)
        {
            violations.Add(new("training.batch_size", $"is {training.BatchSize}; it must be at least 1"));
        }
        else if (trainCount is { } count && training.BatchSize > count)
        {
            violations.Add(new("training.batch_size", $"is {training.BatchSize}, larger than the {count} examples of the training split"));
        }

        if (!Enum.IsDefined(training.Loss))
        {
            violations.Add(new("training.loss", $"{(int)training.Loss} is not a known loss"));
        }
    }

    private static bool CheckOpenFraction(double value, string field, List<FieldViolation> violations)
    {
        if (double.IsFinite(value) && value > 0 && value < 1)
        {
            return true;
        }

        violations.Add(new(field, $"is {value}; it must be above 0 and below 1"));
        return false;
    }

    private static void CheckHalfOpenFraction(double value, string field, List<FieldViolation> violations)
    {
        if (!double.IsFinite(value) || value < 0 || value >= 1)
        {
            violations.Add(new(field, $"is {value}; it must be at least 0 and below 1"));
        }
    }

    private static void CheckDropout(double value, string field, List<FieldViolation> violations)
    {
        if (!double.IsFinite(value) || value < 0 || value >= 1)
        {
            violations.Add(new(field, $"is {value}; a dropout rate must be at least 0 and below 1"));
        }
    }

    private static bool CheckCoefficient(double value, string field, List<FieldViolation> violations)
    {
        if (double.IsFinite(value) && value >= 0 && value <= 1)
        {
            return true;
        }

        violations.Add(new(field, $"is {value}; it must be from 0 to 1"));
        return false;
    }

    private static string Truncate(string value) => value.Length <= 40 ? value : value[..40] + "…";
}
