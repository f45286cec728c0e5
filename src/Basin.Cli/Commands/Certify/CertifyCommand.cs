using System.Globalization;
using System.Text.Json;
using Basin.Bounds;
using Basin.Cli.Infrastructure;
using Basin.Data;
using Basin.Models;
using Basin.Training;

namespace Basin.Cli.Commands.Certify;

/// <summary><c>basin certify</c>: a PAC-Bayes risk certificate for a trained network, optimised against the bound.</summary>
public sealed class CertifyCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "certify";

    /// <inheritdoc />
    public string Summary => "PAC-Bayes risk certificate: with probability ≥ 1 − δ − δ′ the test error of a noisy copy of the trained network (or, --mode retrain, of a new one) is below X";

    /// <inheritdoc />
    public Arguments Options() => new Arguments(Name, new (string, bool, string)[]
    {
        ("checkpoint", false, "run folder or checkpoint.safetensors written by basin train (or give --model and --data)"),
        ("data", false, "certify on this data set's training and test splits instead of the checkpoint's"),
        Mode.Declaration,
        PriorSplit.Declaration,
        ("fixed-mean", true, "checkpoint mode: keep Q's mean at the checkpoint's weights, optimise only its noise (exactly the checkpoint's neighbourhood)"),
        Objective.Declaration,
        Delta.Declaration,
        McDraws.Declaration,
        Epochs.Declaration,
        PriorSigma.Declaration,
        LearningRate.Declaration,
        Seed.Declaration,
        ("json", true, "print the certificate as JSON"),
        ("out", false, "also keep the certificate in this folder: certificate.json (what --json prints), written atomically"),
    }.Concat(CheckpointData.ModelDeclarations).Concat(DataOptions.Declarations).Concat(RuntimeOptions.Declarations))
        .Complete("mode", Mode.Choices).Complete("objective", Objective.Choices);

    /// <summary>The library's defaults, the one place they are written.</summary>
    private static readonly CertifySettings Defaults = new();

    private static readonly ChoiceOption Mode = new("mode", "checkpoint: Q is centred at the checkpoint's own weights, the certificate is of its neighbourhood; retrain: Pérez-Ortiz et al.'s pipeline, Q's mean starts at the prior's and is trained anew, a new network",
        "checkpoint", ["checkpoint", "retrain"]);

    private static readonly NumberOption PriorSplit = new("prior-split", "fraction of the training set that trains a data-dependent prior by the run's config, the bound using the rest (default {default} for a checkpoint; 0: a data-free prior at the initial weights, at zero for --model)",
        Defaults.PriorSplit, 0, 0.99);

    private static readonly ChoiceOption Objective = new("objective", "quad, classic or kl", "quad", ["quad", "classic", "kl"]);

    private static readonly NumberOption Delta = new("delta", $"confidence δ of the PAC-Bayes bound (default {{default}}; δ′ = {Defaults.DeltaMonteCarlo} for the Monte-Carlo estimate)", Defaults.Delta, 1e-12, 0.5);

    private static readonly IntOption McDraws = new("mc-draws", $"weight draws of the final Monte-Carlo estimate (default {{default}}, each on {Defaults.McSubset} random bound-set samples)", Defaults.McDraws, 1, 10_000_000);

    private static readonly IntOption Epochs = new("epochs", "epochs of posterior optimisation", Defaults.Epochs, 0, 10_000);

    private static readonly NumberOption PriorSigma = new("prior-sigma", "prior standard deviation σ_P, where the posterior's starts: 10^(k/4 − 4) for k = 0 … 16, e.g. 0.001, 0.00316, 0.01, 0.0316, 0.1",
        Defaults.PriorSigma, 1e-4, 1, "0.0316");

    private static readonly NumberOption LearningRate = new("lr", "Adam learning rate of the posterior optimisation", Defaults.LearningRate, 1e-12, 100);

    private static readonly IntOption Seed = new("seed", "seed of the split and every draw", Defaults.Seed, 0);

    /// <inheritdoc />
    public int Run(Arguments args, CliContext context)
    {
        string? modelSpec = CheckpointData.ModelArgument(args);
        string? file = modelSpec is null ? CheckpointArgument.Resolve(args) : null;
        var settings = new CertifySettings
        {
            Mode = Mode.Read(args) == "retrain" ? CertifyMode.Retrain : CertifyMode.Checkpoint,
            FixedMean = args.Has("fixed-mean"),
            PriorSplit = modelSpec is null ? PriorSplit.Read(args) : args.Has(PriorSplit.Name) ? PriorSplit.Read(args) : 0,
            Objective = Objective.Read(args) switch
            {
                "classic" => PacBayesObjective.Classic,
                "kl" => PacBayesObjective.Kl,
                _ => PacBayesObjective.Quad,
            },
            Delta = Delta.Read(args),
            McDraws = McDraws.Read(args),
            Epochs = Epochs.Read(args),
            PriorSigma = PriorSigma.Read(args),
            LearningRate = LearningRate.Read(args),
            Seed = Seed.Read(args),
        };
        UsageException.Check(settings.Validate);
        if (args.String("out") is { } target) OutputFolder.CheckWritable(target);
        var runtime = RuntimeOptions.Initialize(args);
        using var loaded = file is null ? null : Checkpoint.Load(file, runtime.Device);
        using var data = loaded is null ? CheckpointData.ForModel(modelSpec!, args.String("weights"), args, runtime.Device) : CheckpointData.For(loaded.Run, args);
        var (split, train) = (data.Split, data.Train);
        var model = loaded?.Run.Model ?? data.Model!;
        if (PacBayesCertifier.Refusal(model, loaded?.Run.Record(), settings) is { } reason) throw new UsageException(reason);
        if (train.Count - (int)(settings.PriorSplit * train.Count) < 2)
            throw new UsageException($"--prior-split {settings.PriorSplit} leaves fewer than 2 of the {train.Count} training samples for the bound: lower it");
        context.Error.WriteLine($"certifying {(settings.Mode == CertifyMode.Checkpoint ? "the neighbourhood of" : "a network retrained from")} {model.Spec} ({model.ParameterCount:N0} parameters) on {train.Name} ({train.Count} samples): "
            + (settings.PriorSplit > 0 ? $"prior trained on {settings.PriorSplit:P0}, bound on the rest" : $"data-free prior at {(loaded is null ? "zero" : "the initial weights")}, bound on all")
            + $", objective {settings.Objective.ToString().ToLowerInvariant()}, δ = {settings.Delta.ToString(CultureInfo.InvariantCulture)}, δ′ = {settings.DeltaMonteCarlo.ToString(CultureInfo.InvariantCulture)}");
        context.Error.WriteLine(CertifyCost.Preview(model, loaded?.Run, train, settings));
        context.Progress.Restart();
        var certificate = PacBayesCertifier.Certify(model, loaded?.Run.Record(), train, split.Test, settings,
            new CallbackProgress<(string Stage, double Fraction)>(p => context.Progress.Draw(p.Fraction, p.Stage.PadRight(12), "")));
        context.Progress.Clear();
        string json = JsonSerializer.Serialize(new
        {
            model = model.Spec, mode = certificate.Mode.ToString().ToLowerInvariant(), certified = certificate.Certified, prior = certificate.Prior, risk_certificate = certificate.Risk, confidence = 1 - certificate.Delta - certificate.DeltaMonteCarlo,
            empirical_error_q = certificate.EmpiricalError, empirical_error_q_se = certificate.EmpiricalErrorStandardError, risk_certificate_se = certificate.RiskStandardError, empirical_error_q_upper = certificate.EmpiricalErrorUpper, kl = certificate.Kl,
            complexity = certificate.Complexity, prior_sigma = certificate.PriorSigma, prior_grid = certificate.GridSize,
            bound_samples = certificate.BoundSamples, prior_samples = certificate.PriorSamples, mc_draws = certificate.McDraws,
            delta = certificate.Delta, delta_monte_carlo = certificate.DeltaMonteCarlo, union_bound_term = Math.Log(certificate.GridSize) / certificate.BoundSamples,
            test_error_network = certificate.NetworkTestError, test_error_posterior_mean = certificate.PosteriorMeanTestError,
            test_error_q = certificate.StochasticTestError, objective = certificate.Objective.Name, objective_per_epoch = certificate.Objective.PerEpoch,
            checkpoint_distance_rms = certificate.CheckpointDistance, prior_distance_rms = certificate.PriorDistance, toward_prior = certificate.TowardPrior, posterior_sigma_median = certificate.PosteriorSigmaMedian,
            posterior_samples = certificate.PosteriorSamples, batchnorm_statistics_samples = certificate.StatisticsSamples, seconds = certificate.Seconds,
        });
        if (args.String("out") is { } outDir)
        {
            Directory.CreateDirectory(outDir);
            Basin.IO.AtomicFile.WriteAllText(Path.Combine(outDir, "certificate.json"), json);
        }
        if (args.Has("json"))
        {
            context.Out.WriteLine(json);
            return 0;
        }
        var o = context.Out;
        o.WriteLine($"risk certificate: with probability ≥ {1 - certificate.Delta - certificate.DeltaMonteCarlo:0.###} the 0-1 test error of Q is ≤ {certificate.Risk:F4}");
        o.WriteLine($"  certified                         {certificate.Certified}");
        o.WriteLine($"  Q's error on the {certificate.BoundSamples} bound samples  {certificate.EmpiricalError:F4} (Monte Carlo, {certificate.McDraws} draws; ≤ {certificate.EmpiricalErrorUpper:F4} with prob. ≥ {1 - certificate.DeltaMonteCarlo:0.###})");
        o.WriteLine($"  KL(Q‖P)                          {certificate.Kl:F1} (prior σ {certificate.PriorSigma:G3} from a grid of {certificate.GridSize}, paid by a union bound)");
        o.WriteLine($"  (KL + ln(2√n·J/δ)) / n           {certificate.Complexity:F5} (of which the union over the grid, ln J / n: {Math.Log(certificate.GridSize) / certificate.BoundSamples:F5})");
        o.WriteLine($"  slacks                            Monte Carlo {certificate.EmpiricalErrorUpper - certificate.EmpiricalError:F4}, PAC-Bayes-kl {certificate.Risk - certificate.EmpiricalErrorUpper:F4}");
        o.WriteLine($"  prior                             {certificate.Prior}");
        o.WriteLine($"  Q's noise                         median σ {certificate.PosteriorSigmaMedian:G3}; mean optimised on {certificate.PosteriorSamples} samples");
        if (certificate.Mode == CertifyMode.Checkpoint && certificate.TowardPrior > 0.5)
            o.WriteLine($"note: Q's mean moved {certificate.TowardPrior:P0} of the way from the checkpoint's weights to the prior's mean, where the KL is cheaper: this certifies a network nearer the prior's than the checkpoint (--fixed-mean certifies exactly the checkpoint's neighbourhood, at the KL its distance costs)");
        o.WriteLine($"test error: the checkpoint's network {certificate.NetworkTestError:F4}; Q ≈ {certificate.StochasticTestError:F4} (20 draws); Q's mean {certificate.PosteriorMeanTestError:F4}");
        o.WriteLine($"{certificate.Seconds:F0} s");
        return 0;
    }
}
