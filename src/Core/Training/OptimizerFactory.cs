using Training.V1;
using TrainingService.Core.Specs;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TrainingService.Core.Training;

/// <summary>Creates the optimizer a spec names, with PyTorch's meaning for every setting.</summary>
public static class OptimizerFactory
{
    public static optim.Optimizer Create(OptimizerSpec optimizer, RegularizationSpec? regularization, IEnumerable<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(optimizer);

        // The L2 penalty (added to the gradient) and decoupled weight decay are distinct settings of the
        // spec; the validator allows each only with the optimizers that apply it in that form.
        var l2 = regularization?.L2 ?? 0;
        var weightDecay = regularization?.WeightDecay ?? 0;
        var rate = optimizer.LearningRate;

        return optimizer.KindCase switch
        {
            OptimizerSpec.KindOneofCase.Sgd => optim.SGD(parameters, rate, optimizer.Sgd.Momentum, optimizer.Sgd.Dampening, l2, optimizer.Sgd.Nesterov),
            OptimizerSpec.KindOneofCase.Adam => optim.Adam(parameters, rate,
                optimizer.Adam.HasBeta1 ? optimizer.Adam.Beta1 : JobSpecDefaults.AdamBeta1,
                optimizer.Adam.HasBeta2 ? optimizer.Adam.Beta2 : JobSpecDefaults.AdamBeta2,
                optimizer.Adam.HasEpsilon ? optimizer.Adam.Epsilon : JobSpecDefaults.AdamEpsilon,
                l2),
            OptimizerSpec.KindOneofCase.Adamw => optim.AdamW(parameters, rate,
                optimizer.Adamw.HasBeta1 ? optimizer.Adamw.Beta1 : JobSpecDefaults.AdamBeta1,
                optimizer.Adamw.HasBeta2 ? optimizer.Adamw.Beta2 : JobSpecDefaults.AdamBeta2,
                optimizer.Adamw.HasEpsilon ? optimizer.Adamw.Epsilon : JobSpecDefaults.AdamEpsilon,
                weightDecay),
            OptimizerSpec.KindOneofCase.Rmsprop => optim.RMSProp(parameters, rate,
                optimizer.Rmsprop.HasAlpha ? optimizer.Rmsprop.Alpha : JobSpecDefaults.RmsPropAlpha,
                optimizer.Rmsprop.HasEpsilon ? optimizer.Rmsprop.Epsilon : JobSpecDefaults.RmsPropEpsilon,
                l2,
                optimizer.Rmsprop.Momentum,
                optimizer.Rmsprop.Centered),
            _ => throw new ArgumentException($"Optimizer kind {optimizer.KindCase} is not supported.", nameof(optimizer)),
        };
    }
}
