namespace TrainingService.Persistence.Entities;

/// <summary>A trained model: its weights and the spec needed to rebuild the network they fit.</summary>
public sealed class ModelRecord
{
    public const string TorchSharpStateFormat = "torchsharp-state-dict";

    public Guid JobId { get; set; }

    /// <summary>How <see cref="State"/> is encoded; currently always <see cref="TorchSharpStateFormat"/>.</summary>
    public string Format { get; set; } = TorchSharpStateFormat;

    public string SpecJson { get; set; } = "";

    /// <summary>How raw features become the model's inputs: the JSON of Core's FeaturePreprocessing.</summary>
    public string PreprocessingJson { get; set; } = "{}";

    public byte[] State { get; set; } = [];

    public long SizeBytes { get; set; }

    public DateTime CreatedAt { get; set; }
}

/// <summary>The latest checkpoint of a running job, from which a new attempt resumes; removed when the job ends.</summary>
public sealed class CheckpointRecord
{
    public Guid JobId { get; set; }

    /// <summary>The attempt that wrote it.</summary>
    public int Attempt { get; set; }

    /// <summary>Optimizer steps taken before the checkpoint; metric rows after it are cut when a new attempt resumes.</summary>
    public long Step { get; set; }

    /// <summary>The epoch in progress at the checkpoint; epoch rows from it on are cut when a new attempt resumes.</summary>
    public int Epoch { get; set; }

    /// <summary>Core's TrainingCheckpoint bytes.</summary>
    public byte[] State { get; set; } = [];

    public DateTime CreatedAt { get; set; }
}
