namespace TrainingService.IntegrationTests.Infrastructure;

public partial class ServiceFixture
{
    /// <summary>
    /// Kills the API process, as a crash would, and starts a new one on the same ports once the old one has exited,
    /// so clients see their calls and streams break and then the service come back. Workers keep running.
    /// </summary>
    public async Task RestartApiAsync(TimeSpan downtime)
    {
        await Api.DisposeAsync();
        await Task.Delay(downtime);

        Api = StartApi();
        await WaitUntilHealthyAsync();
    }
}
