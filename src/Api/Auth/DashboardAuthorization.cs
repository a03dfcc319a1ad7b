using Hangfire.Dashboard;

namespace TrainingService.Api.Auth;

/// <summary>
/// Lets a caller with an admin API key view the read-only Hangfire dashboard, which lists every key's jobs, so
/// ordinary keys may not. A browser passes the key once as ?api_key=KEY; the filter then keeps it in an
/// HTTP-only cookie for the dashboard's other pages and assets. Programs may send the x-api-key header instead.
/// </summary>
internal sealed class DashboardAuthorization(ApiKeyAuthenticator authenticator) : IDashboardAsyncAuthorizationFilter
{
    private const string CookieName = "training_api_key";

    public async Task<bool> AuthorizeAsync(DashboardContext context)
    {
        if (!authenticator.Enabled)
        {
            return true;
        }

        var http = context.GetHttpContext();
        var fromQuery = http.Request.Query["api_key"].ToString();
        var key = FirstNonEmpty(http.Request.Headers[ApiKeyAuthenticator.HeaderName].ToString(), fromQuery, http.Request.Cookies[CookieName]);

        if (key is null || await authenticator.AuthenticateAsync(key, http.RequestAborted) is not { IsAdmin: true })
        {
            return false;
        }

        if (fromQuery.Length > 0)
        {
            http.Response.Cookies.Append(CookieName, fromQuery, new Microsoft.AspNetCore.Http.CookieOptions { HttpOnly = true, SameSite = Microsoft.AspNetCore.Http.SameSiteMode.Strict });
        }

        return true;
    }

    private static string? FirstNonEmpty(params string?[] values) => values.FirstOrDefault(value => !string.IsNullOrEmpty(value));
}
