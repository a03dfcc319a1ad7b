using Training.V1;
using TrainingService.Core.Datasets;

namespace TrainingService.Core.Training;

public enum LossKind
{
    CrossEntropy,
    BinaryCrossEntropyWithLogits,
    MeanSquaredError,
}

/// <summary>Chooses the loss a spec means for a dataset and the output width it needs.</summary>
public static class LossSelection
{
    /// <summary>Returns the loss kind; the default is cross-entropy for classification and mean squared error for regression.</summary>
    public static LossKind Resolve(Loss loss, DatasetInfo dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);

        return loss switch
        {
            Loss.Unspecified => dataset.IsClassification ? LossKind.CrossEntropy : LossKind.MeanSquaredError,
            Loss.CrossEntropy => LossKind.CrossEntropy,
            Loss.BinaryCrossEntropyWithLogits => LossKind.BinaryCrossEntropyWithLogits,
            Loss.Mse => LossKind.MeanSquaredError,
            _ => throw new ArgumentOutOfRangeException(nameof(loss), loss, "Unknown loss."),
        };
    }

    /// <summary>The width the network's output must have: one logit per class, one logit, or one value per target.</summary>
    public static int OutputWidth(LossKind loss, DatasetInfo dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);

        return loss switch
        {
            LossKind.CrossEntropy => dataset.ClassCount,
            LossKind.BinaryCrossEntropyWithLogits => 1,
            _ => dataset.IsClassification ? dataset.ClassCount : dataset.TargetWidth,
        };
    }

    /// <summary>Whether the loss can be used on the dataset at all; null when it can, else why not.</summary>
    public static string? Incompatibility(LossKind loss, DatasetInfo dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);

        return loss switch
        {
            LossKind.CrossEntropy when !dataset.IsClassification =>
                $"cross-entropy needs a classification dataset, and '{dataset.Name}' is a regression dataset; use LOSS_MSE",
            LossKind.BinaryCrossEntropyWithLogits when dataset.ClassCount != 2 =>
                $"binary cross-entropy needs a two-class dataset, and '{dataset.Name}' has {(dataset.IsClassification ? dataset.ClassCount + " classes" : "regression targets")}",
            _ => null,
        };
    }
}
