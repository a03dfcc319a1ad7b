using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using TrainingService.Persistence;

namespace TrainingService.Api.Auth;

/// <summary>
/// Checks API keys against the database, caching each result for a short while so that a busy client does not
/// cost a query per call. A revoked key stops working within <see cref="CacheDuration"/>.
/// </summary>
internal sealed class ApiKeyAuthenticator(ApiKeyStore keys, IOptions<AuthOptions> options, TimeProvider time)
{
    public const string HeaderName = "x-api-key";
    public static readonly TimeSpan CacheDuration = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, (Caller? Caller, DateTimeOffset Expires)> _cache = new(StringComparer.Ordinal);

    public bool Enabled => options.Value.RequireApiKey;

    /// <summary>Returns who the key belongs to, or null when the key is unknown or revoked.</summary>
    public async Task<Caller?> AuthenticateAsync(string key, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(key, out var cached) && cached.Expires > now)
        {
            return cached.Caller;
        }

        var record = await keys.FindActiveAsync(key, cancellationToken);
        var caller = record is null ? null : new Caller(record.Id, record.IsAdmin);
        if (_cache.Count > 10_000)
        {
            _cache.Clear();
        }

        _cache[key] = (caller, now + CacheDuration);
        return caller;
    }
}

/// <summary>An authenticated API key: its id, which owns jobs, and whether it may open the dashboard.</summary>
internal sealed record Caller(Guid KeyId, bool IsAdmin)
{
}
