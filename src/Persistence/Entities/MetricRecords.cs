namespace TrainingService.Persistence.Entities;

/// <summary>One optimizer step's measurements. Gradient norms are L2 norms taken after backward, before the step.</summary>
public sealed class StepMetricRecord
{
    public Guid JobId { get; set; }

    public long Step { get; set; }

    public int Epoch { get; set; }

    public double Loss { get; set; }

    public double GradientNorm { get; set; }

    /// <summary>The global norm after clipping; equal to <see cref="GradientNorm"/> when no clipping applied.</summary>
    public double ClippedGradientNorm { get; set; }

    /// <summary>One norm per parameterised layer, in the order of the run's layer names.</summary>
    public double[] LayerGradientNorms { get; set; } = [];

    public double LearningRate { get; set; }

    public DateTime RecordedAt { get; set; }
}

/// <summary>One epoch's training means and validation results.</summary>
public sealed class EpochMetricRecord
{
    public Guid JobId { get; set; }

    public int Epoch { get; set; }

    public long Step { get; set; }

    public double TrainLoss { get; set; }

    /// <summary>Null for regression.</summary>
    public double? TrainAccuracy { get; set; }

    /// <summary>Null without a validation split.</summary>
    public double? ValidationLoss { get; set; }

    /// <summary>Null without a validation split and for regression.</summary>
    public double? ValidationAccuracy { get; set; }

    public double GradientNorm { get; set; }

    public double[] LayerGradientNorms { get; set; } = [];

    public double SamplesPerSecond { get; set; }

    public double EpochSeconds { get; set; }

    public double LearningRate { get; set; }

    public DateTime RecordedAt { get; set; }
}
