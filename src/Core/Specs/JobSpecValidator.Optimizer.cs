using Training.V1;

namespace TrainingService.Core.Specs;

public static partial class JobSpecValidator
{
    private static void ValidateOptimizer(OptimizerSpec? optimizer, ViolationList violations)
    {
        if (optimizer is null)
        {
            violations.Add("optimizer", "is required");
            return;
        }

        violations.InRange(optimizer.LearningRate, "optimizer.learning_rate", 0, MaxLearningRate, minExclusive: true);
        violations.InRange(optimizer.MaxGradientNorm, "optimizer.max_gradient_norm", 0, 1e6);

        switch (optimizer.KindCase)
        {
            case OptimizerSpec.KindOneofCase.Sgd:
                ValidateSgd(optimizer.Sgd, violations);
                break;
            case OptimizerSpec.KindOneofCase.Adam:
                ValidateAdam("optimizer.adam", optimizer.Adam.HasBeta1 ? optimizer.Adam.Beta1 : null,
                    optimizer.Adam.HasBeta2 ? optimizer.Adam.Beta2 : null, optimizer.Adam.HasEpsilon ? optimizer.Adam.Epsilon : null, violations);
                break;
            case OptimizerSpec.KindOneofCase.Adamw:
                ValidateAdam("optimizer.adamw", optimizer.Adamw.HasBeta1 ? optimizer.Adamw.Beta1 : null,
                    optimizer.Adamw.HasBeta2 ? optimizer.Adamw.Beta2 : null, optimizer.Adamw.HasEpsilon ? optimizer.Adamw.Epsilon : null, violations);
                break;
            case OptimizerSpec.KindOneofCase.Rmsprop:
                ValidateRmsProp(optimizer.Rmsprop, violations);
                break;
            default:
                violations.Add("optimizer", "has no optimizer kind; set one of sgd, adam, adamw, rmsprop");
                break;
        }

        if (optimizer.Schedule is { } schedule)
        {
            ValidateSchedule(schedule, optimizer.LearningRate, violations);
        }
    }

    private static void ValidateSgd(SgdOptions sgd, ViolationList violations)
    {
        violations.InRange(sgd.Momentum, "optimizer.sgd.momentum", 0, 1, maxExclusive: true);
        violations.InRange(sgd.Dampening, "optimizer.sgd.dampening", 0, 1, maxExclusive: true);

        if (sgd.Nesterov && (sgd.Momentum <= 0 || sgd.Dampening != 0))
        {
            violations.Add("optimizer.sgd.nesterov", "needs momentum above 0 and dampening 0");
        }
    }

    private static void ValidateAdam(string path, double? beta1, double? beta2, double? epsilon, ViolationList violations)
    {
        if (beta1 is { } b1)
        {
            violations.InRange(b1, $"{path}.beta1", 0, 1, maxExclusive: true);
        }

        if (beta2 is { } b2)
        {
            violations.InRange(b2, $"{path}.beta2", 0, 1, maxExclusive: true);
        }

        if (epsilon is { } eps)
        {
            violations.InRange(eps, $"{path}.epsilon", 0, 1, minExclusive: true);
        }
    }

    private static void ValidateRmsProp(RmsPropOptions rmsprop, ViolationList violations)
    {
        if (rmsprop.HasAlpha)
        {
            violations.InRange(rmsprop.Alpha, "optimizer.rmsprop.alpha", 0, 1, maxExclusive: true);
        }

        if (rmsprop.HasEpsilon)
        {
            violations.InRange(rmsprop.Epsilon, "optimizer.rmsprop.epsilon", 0, 1, minExclusive: true);
        }

        violations.InRange(rmsprop.Momentum, "optimizer.rmsprop.momentum", 0, 1, maxExclusive: true);
    }

    private static void ValidateSchedule(LearningRateSchedule schedule, double learningRate, ViolationList violations)
    {
        violations.InRange(schedule.WarmupSteps, "optimizer.schedule.warmup_steps", 0, MaxWarmupSteps);

        switch (schedule.KindCase)
        {
            case LearningRateSchedule.KindOneofCase.StepDecay:
                violations.InRange(schedule.StepDecay.StepSize, "optimizer.schedule.step_decay.step_size", 1, MaxEpochs);
                violations.InRange(schedule.StepDecay.Gamma, "optimizer.schedule.step_decay.gamma", 0, 1, minExclusive: true);
                break;
            case LearningRateSchedule.KindOneofCase.Cosine:
                var minimum = schedule.Cosine.MinLearningRate;
                if (!double.IsFinite(minimum) || minimum < 0 || minimum >= learningRate)
                {
                    violations.Add("optimizer.schedule.cosine.min_learning_rate", $"is {minimum}; it must be at least 0 and below the learning rate {learningRate}");
                }

                break;
        }
    }

    private static void ValidateRegularization(JobSpec spec, ViolationList violations)
    {
        var regularization = spec.Regularization;
        if (regularization is null)
        {
            return;
        }

        var isAdamW = spec.Optimizer?.KindCase == OptimizerSpec.KindOneofCase.Adamw;
        if (violations.InRange(regularization.L2, "regularization.l2", 0, 1) && regularization.L2 > 0 && isAdamW)
        {
            violations.Add("regularization.l2",
                "is an L2 penalty added to the gradient, which AdamW does not take; use regularization.weight_decay for AdamW's decoupled weight decay");
        }

        if (violations.InRange(regularization.WeightDecay, "regularization.weight_decay", 0, 1) && regularization.WeightDecay > 0 && !isAdamW)
        {
            violations.Add("regularization.weight_decay",
                "is decoupled weight decay, which only AdamW applies; use regularization.l2 for an L2 penalty with SGD, Adam or RMSprop");
        }

        violations.InRange(regularization.Dropout, "regularization.dropout", 0, 1, maxExclusive: true);

        if (regularization.EarlyStopping is { } early)
        {
            violations.InRange(early.Patience, "regularization.early_stopping.patience", 1, MaxEpochs);
            violations.InRange(early.MinDelta, "regularization.early_stopping.min_delta", 0, 1e6);

            if (spec.Dataset is { } dataset && dataset.GetValidationFraction() == 0)
            {
                violations.Add("regularization.early_stopping", "needs a validation split; set dataset.validation_fraction above 0");
            }
        }
    }
}
