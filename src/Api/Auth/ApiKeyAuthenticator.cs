using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using TrainingService.Persistence;

namespace TrainingService.Api.Auth;

/// <summary>
/// Checks API keys against the database, remembering answers for a short while so that a busy client does not
/// cost a query per call. A revoked key stops working within <see cref="CacheDuration"/>.
/// </summary>
internal sealed class ApiKeyAuthenticator(ApiKeyStore keys, IOptions<AuthOptions> options, TimeProvider time)
{
    public const string HeaderName = "x-api-key";
    public static readonly TimeSpan CacheDuration = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, (Guid? KeyId, DateTimeOffset Expires)> _cache = new(StringComparer.Ordinal);

    public bool Enabled => options.Value.RequireApiKey;

    /// <summary>Returns the key's id, or null when the key is unknown or revoked.</summary>
    public async Task<Guid?> AuthenticateAsync(string key, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(key, out var cached) && cached.Expires > now)
        {
            return cached.KeyId;
        }

        var keyId = await keys.FindActiveAsync(key, cancellationToken);
        if (_cache.Count > 10_000)
        {
            _cache.Clear();
        }

        _cache[key] = (keyId, now + CacheDuration);
        return keyId;
    }
}
