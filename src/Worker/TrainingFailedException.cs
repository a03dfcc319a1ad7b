namespace TrainingService.Worker;

/// <summary>Wraps an error raised by training itself, as opposed to the worker's own storage or queue.</summary>
internal sealed class TrainingFailedException(Exception inner) : Exception(inner.Message, inner);
