namespace TrainingService.Persistence.Entities;

/// <summary>
/// An API key. Only the SHA-256 hash of the key is stored: keys are 256 random bits, so a fast hash is enough
/// to make a stolen table useless, and lookups stay cheap.
/// </summary>
public sealed class ApiKeyRecord
{
    public Guid Id { get; set; }

    public string Name { get; set; } = "";

    /// <summary>The key's first characters, to tell keys apart in listings without revealing them.</summary>
    public string Prefix { get; set; } = "";

    /// <summary>Lower-case hex SHA-256 of the whole key.</summary>
    public string Hash { get; set; } = "";

    /// <summary>Whether the key may also open the Hangfire dashboard, which shows every key's jobs.</summary>
    public bool IsAdmin { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime? RevokedAt { get; set; }
}
