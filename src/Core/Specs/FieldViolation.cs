namespace TrainingService.Core.Specs;

/// <summary>One invalid field of a job spec: its path in proto field names, such as "network.layers[2].dense.units", and why.</summary>
public sealed record FieldViolation(string Field, string Description);
