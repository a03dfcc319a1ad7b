namespace TrainingService.Core.Training;

/// <summary>
/// Everything a run needs to go on exactly where it stopped: the weights, the optimizer's state, both
/// generators' states, the data-order cursor, the current epoch's running sums and the early-stopping record.
/// A run resumed from it takes the same steps with the same numbers as one that never stopped.
/// </summary>
public sealed class TrainingCheckpoint
{
    private const uint Magic = 0x4B435354; // "TSCK"
    private const int FormatVersion = 1;

    /// <summary>Optimizer steps taken before the checkpoint.</summary>
    public long Step { get; init; }

    /// <summary>The epoch in progress, counted from 1; its next batch starts at <see cref="NextBatchStart"/>.</summary>
    public int Epoch { get; init; }

    /// <summary>Position in the epoch's shuffled order of the next batch; the split's size when only the epoch's evaluation is left.</summary>
    public long NextBatchStart { get; init; }

    /// <summary>Training wall time before the checkpoint, over every earlier attempt.</summary>
    public double ElapsedSeconds { get; init; }

    public byte[] ModelState { get; init; } = [];

    public byte[] OptimizerState { get; init; } = [];

    /// <summary>The shuffling generator's state when the epoch began, from which its order is drawn again.</summary>
    public byte[] ShuffleStateAtEpochStart { get; init; } = [];

    public byte[] DropoutState { get; init; } = [];

    internal EpochTotals.Snapshot Totals { get; init; } = new([], 0, 0, 0, 0, 0, 0, 0);

    internal EarlyStopper.Snapshot EarlyStopping { get; init; } = new(double.PositiveInfinity, 0, 0, []);

    public byte[] Serialize()
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer))
        {
            writer.Write(Magic);
            writer.Write(FormatVersion);
            writer.Write(Step);
            writer.Write(Epoch);
            writer.Write(NextBatchStart);
            writer.Write(ElapsedSeconds);
            WriteBytes(writer, ModelState);
            WriteBytes(writer, OptimizerState);
            WriteBytes(writer, ShuffleStateAtEpochStart);
            WriteBytes(writer, DropoutState);
            Totals.Write(writer);
            EarlyStopping.Write(writer);
        }

        return buffer.ToArray();
    }

    /// <exception cref="InvalidDataException">The bytes are not a checkpoint of this format version.</exception>
    public static TrainingCheckpoint Deserialize(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);

        using var reader = new BinaryReader(new MemoryStream(bytes));
        if (reader.ReadUInt32() != Magic || reader.ReadInt32() is var version && version != FormatVersion)
        {
            throw new InvalidDataException("The bytes are not a training checkpoint of format version 1.");
        }

        return new TrainingCheckpoint
        {
            Step = reader.ReadInt64(),
            Epoch = reader.ReadInt32(),
            NextBatchStart = reader.ReadInt64(),
            ElapsedSeconds = reader.ReadDouble(),
            ModelState = ReadBytes(reader),
            OptimizerState = ReadBytes(reader),
            ShuffleStateAtEpochStart = ReadBytes(reader),
            DropoutState = ReadBytes(reader),
            Totals = EpochTotals.Snapshot.Read(reader),
            EarlyStopping = EarlyStopper.Snapshot.Read(reader),
        };
    }

    internal static void WriteBytes(BinaryWriter writer, byte[] bytes)
    {
        writer.Write(bytes.Length);
        writer.Write(bytes);
    }

    internal static byte[] ReadBytes(BinaryReader reader) => reader.ReadBytes(reader.ReadInt32());
}

/// <summary>Receives checkpoints as a run makes them; called on the training thread, so it should only queue the bytes.</summary>
public interface ICheckpointSink
{
    void Save(TrainingCheckpoint checkpoint);
}

/// <summary>When a run checkpoints: every <see cref="EverySteps"/> steps or <see cref="Every"/> of wall time, whichever comes first.</summary>
public sealed record CheckpointPolicy(int EverySteps, TimeSpan Every)
{
    public static CheckpointPolicy Never { get; } = new(int.MaxValue, TimeSpan.MaxValue);
}
