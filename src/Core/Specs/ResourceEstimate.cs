using Training.V1;
using TrainingService.Core.Datasets;

namespace TrainingService.Core.Specs;

/// <summary>
/// A rough upper estimate of what a run keeps in memory, in bytes of float32. It counts the weights, their
/// gradients and the optimizer's per-weight state, the forward values and their gradients for one batch, and
/// the dataset's tensors beside its arrays. It leaves out libtorch's own workspace and the runtime, an
/// estimated few hundred MiB.
/// </summary>
public sealed record ResourceEstimate(long Parameters, long ParameterBytes, long ActivationBytes, long DatasetBytes)
{
    public long MemoryBytes => ParameterBytes + ActivationBytes + DatasetBytes;

    public static ResourceEstimate For(JobSpec spec, DatasetInfo dataset, int exampleCount, int outputWidth)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(dataset);

        long width = dataset.FeatureCount;
        long parameters = 0;
        long activations = 0;

        foreach (var layer in spec.Network.Layers)
        {
            (parameters, width) = layer.KindCase switch
            {
                LayerSpec.KindOneofCase.Dense => (parameters + (width + 1) * Units(layer.Dense.Units, outputWidth), Units(layer.Dense.Units, outputWidth)),
                LayerSpec.KindOneofCase.Swiglu => (parameters + 2 * (width + 1) * Units(layer.Swiglu.Units, outputWidth), Units(layer.Swiglu.Units, outputWidth)),
                LayerSpec.KindOneofCase.LayerNorm => (parameters + 2 * width, width),
                _ => (parameters, width),
            };

            // A dense layer keeps its output and its activation's; SwiGLU keeps both projections and their product.
            activations += 3 * width;
        }

        var batch = Math.Max(1, spec.Training?.BatchSize ?? 1);
        var parameterBytes = parameters * 4 * (2 + OptimizerStatesPerWeight(spec.Optimizer));
        var activationBytes = 2 * activations * batch * 4;
        var datasetBytes = 2L * exampleCount * (dataset.FeatureCount + Math.Max(1, dataset.TargetWidth)) * 4;
        return new ResourceEstimate(parameters, parameterBytes, activationBytes, datasetBytes);
    }

    private static long Units(int units, int outputWidth) => units == 0 ? outputWidth : units;

    private static int OptimizerStatesPerWeight(OptimizerSpec? optimizer) => optimizer?.KindCase switch
    {
        OptimizerSpec.KindOneofCase.Adam or OptimizerSpec.KindOneofCase.Adamw => 2,
        OptimizerSpec.KindOneofCase.Rmsprop => 1 + (optimizer.Rmsprop.Momentum > 0 ? 1 : 0) + (optimizer.Rmsprop.Centered ? 1 : 0),
        OptimizerSpec.KindOneofCase.Sgd => optimizer.Sgd.Momentum > 0 ? 1 : 0,
        _ => 0,
    };
}
