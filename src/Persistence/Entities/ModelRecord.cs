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
