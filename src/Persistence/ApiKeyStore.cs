using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using TrainingService.Persistence.Entities;

namespace TrainingService.Persistence;

/// <summary>Creates, lists, revokes and checks API keys; keys are shown once, at creation, and stored hashed.</summary>
public sealed class ApiKeyStore(IDbContextFactory<TrainingDbContext> contexts, TimeProvider time)
{
    private const string KeyPrefix = "tsk_";

    /// <summary>Creates a key and returns it in clear with its record; the clear key is not stored anywhere.</summary>
    public async Task<(string Key, ApiKeyRecord Record)> CreateAsync(string name, bool isAdmin, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);

        var key = KeyPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        var record = new ApiKeyRecord
        {
            Id = Guid.CreateVersion7(),
            Name = name,
            Prefix = key[..12],
            Hash = Hash(key),
            IsAdmin = isAdmin,
            CreatedAt = time.GetUtcNow().UtcDateTime,
        };

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.ApiKeys.Add(record);
        await db.SaveChangesAsync(cancellationToken);
        return (key, record);
    }

    public async Task<IReadOnlyList<ApiKeyRecord>> ListAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.ApiKeys.AsNoTracking().OrderBy(k => k.CreatedAt).ToListAsync(cancellationToken);
    }

    /// <summary>Revokes a key by id or prefix; returns whether one was revoked.</summary>
    public async Task<bool> RevokeAsync(string idOrPrefix, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var isId = Guid.TryParse(idOrPrefix, out var id);
        var now = time.GetUtcNow().UtcDateTime;
        var revoked = await db.ApiKeys
            .Where(k => k.RevokedAt == null && (isId ? k.Id == id : k.Prefix == idOrPrefix))
            .ExecuteUpdateAsync(update => update.SetProperty(k => k.RevokedAt, now), cancellationToken);
        return revoked > 0;
    }

    /// <summary>Returns the active key matching <paramref name="key"/>, or null for an unknown or revoked one.</summary>
    public async Task<ApiKeyRecord?> FindActiveAsync(string key, CancellationToken cancellationToken)
    {
        var hash = Hash(key);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.ApiKeys.AsNoTracking().SingleOrDefaultAsync(k => k.Hash == hash && k.RevokedAt == null, cancellationToken);
    }

    private static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
