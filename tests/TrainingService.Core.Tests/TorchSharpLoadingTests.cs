using TorchSharp;
using static TorchSharp.torch;

namespace TrainingService.Core.Tests;

public class TorchSharpLoadingTests
{
    [Fact]
    public void Tensor_CreatedAndTrained_LossFalls()
    {
        // Fits y = 3x with one weight by SGD: proves the native wrapper loads and autograd and optimizers run.
        using var generator = new Generator(7, CPU);
        using var x = torch.linspace(-1, 1, 32).reshape(32, 1);
        using var y = x * 3;
        using var layer = nn.Linear(1, 1, hasBias: false);
        using var optimizer = optim.SGD(layer.parameters(), 0.5);

        var firstLoss = StepLoss(layer, optimizer, x, y);
        var lastLoss = firstLoss;
        for (var i = 0; i < 50; i++)
        {
            lastLoss = StepLoss(layer, optimizer, x, y);
        }

        Assert.True(firstLoss > 0.1, $"first loss {firstLoss}");
        Assert.True(lastLoss < 1e-6, $"last loss {lastLoss}");
        Assert.Equal(3.0, layer.weight!.item<float>(), 3);
    }

    private static double StepLoss(nn.Module<Tensor, Tensor> layer, optim.Optimizer optimizer, Tensor x, Tensor y)
    {
        using var scope = torch.NewDisposeScope();
        optimizer.zero_grad();
        var loss = nn.functional.mse_loss(layer.forward(x), y);
        loss.backward();
        optimizer.step();
        return loss.item<float>();
    }
}
