using Hangfire.Dashboard;

namespace TrainingService.Api.Hosting;

/// <summary>
/// Lets anyone who reaches the HTTP port view the Hangfire dashboard, which is mounted read-only.
/// </summary>
/// <remarks>NOTE: the API has no authentication yet; keep the HTTP port on a trusted network.</remarks>
internal sealed class ReadOnlyDashboardAuthorization : IDashboardAuthorizationFilter
{
    public bool Authorize(DashboardContext context) => true;
}
