using System.Text.Json;
using Basin.Tests.BadInput;
using Xunit;

namespace Basin.Tests.Cli;

public class CertifyCommandTests
{
    private const string Mixture = "mixture:d=6,k=3,n=400";

    [Fact]
    public void CertifiesATrainedModelWithEveryTerm()
    {
        using var tmp = new TempFolder();
        var train = CliRunner.Run("train", "--data", Mixture, "--model", "mlp:6-8-3:relu", "--epochs", "4", "--out", tmp.Path);
        Assert.True(train.Code == 0, train.Error);
        var (code, output, error) = CliRunner.Run("certify", "--checkpoint", tmp.Path, "--prior-split", "0.5", "--prior-sigma", "0.1", "--epochs", "1", "--mc-draws", "300", "--json", "--out", tmp.File("certified"));
        Assert.True(code == 0, error);
        // --out keeps exactly what --json printed.
        Assert.Equal(output.Trim(), File.ReadAllText(tmp.File("certified/certificate.json")));
        // The cost preview before the work: prior steps 4 epochs × ⌈200/128⌉, posterior steps 1 epoch × ⌈400/250⌉.
        Assert.Contains("cost: 8 prior steps, 2 posterior steps of 250, 300 Monte-Carlo draws of 100 samples → about ", error);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        double risk = root.GetProperty("risk_certificate").GetDouble();
        double upper = root.GetProperty("empirical_error_q_upper").GetDouble();
        Assert.InRange(risk, upper, 1.0);
        Assert.InRange(upper, root.GetProperty("empirical_error_q").GetDouble(), 1.0);
        Assert.Equal(200, root.GetProperty("bound_samples").GetInt32());
        Assert.Equal(200, root.GetProperty("prior_samples").GetInt32());
        Assert.Equal(1 - 0.025 - 0.01, root.GetProperty("confidence").GetDouble(), 12);
        Assert.True(root.GetProperty("test_error_q").GetDouble() <= risk, "the certificate must bound Q's test error here");
        // The default mode certifies the checkpoint's neighbourhood, and says so.
        Assert.Equal("checkpoint", root.GetProperty("mode").GetString());
        Assert.StartsWith("the checkpoint's neighbourhood", root.GetProperty("certified").GetString());
        Assert.Contains("trained by the run's config on 200", root.GetProperty("prior").GetString());
        Assert.Equal(400, root.GetProperty("posterior_samples").GetInt32());

        var retrain = CliRunner.Run("certify", "--checkpoint", tmp.Path, "--mode", "retrain", "--prior-split", "0", "--prior-sigma", "0.1", "--epochs", "0", "--mc-draws", "50", "--json");
        Assert.True(retrain.Code == 0, retrain.Error);
        using var retrained = JsonDocument.Parse(retrain.Out);
        Assert.Equal("retrain", retrained.RootElement.GetProperty("mode").GetString());
        Assert.StartsWith("a new network, not the checkpoint", retrained.RootElement.GetProperty("certified").GetString());
        Assert.Contains("initial weights (data-free)", retrained.RootElement.GetProperty("prior").GetString());
        Assert.True(retrained.RootElement.GetProperty("checkpoint_distance_rms").GetDouble() > 0);

        var text = CliRunner.Run("certify", "--checkpoint", tmp.Path, "--prior-split", "0.5", "--prior-sigma", "0.1", "--epochs", "1", "--mc-draws", "100");
        Assert.True(text.Code == 0, text.Error);
        Assert.StartsWith("risk certificate: with probability ≥ 0.965 the 0-1 test error of Q is ≤ ", text.Out);
    }

    [Fact]
    public void CertifiesATorchScriptModelWithADataFreePriorAtZero()
    {
        string fixtures = Path.Combine(Repository.Root(), "tests", "fixtures", "torchscript");
        var run = CliRunner.Run("certify", "--model", "torchscript:" + Path.Combine(fixtures, "mlp.pt"), "--data", "fashion-mnist", "--prior-sigma", "0.1",
            "--epochs", "1", "--mc-draws", "100", "--json");
        Assert.True(run.Code == 0, run.Error);
        using var doc = JsonDocument.Parse(run.Out);
        var root = doc.RootElement;
        Assert.Contains("centred at zero", root.GetProperty("prior").GetString());
        Assert.Equal(60_000, root.GetProperty("bound_samples").GetInt32());
        Assert.Equal(0, root.GetProperty("prior_samples").GetInt32());
        Assert.InRange(root.GetProperty("risk_certificate").GetDouble(), root.GetProperty("empirical_error_q_upper").GetDouble(), 1.0);
        // What the bound allows: no data-dependent prior without the run's config, no batch norm without prior data.
        BadInputAssert.OneLine(CliRunner.Run("certify", "--model", "torchscript:" + Path.Combine(fixtures, "mlp.pt"), "--data", "fashion-mnist", "--prior-split", "0.5"), 2,
            "a data-dependent prior is trained by the run's config");
        BadInputAssert.OneLine(CliRunner.Run("certify", "--model", "torchscript:" + Path.Combine(fixtures, "cnn_bn.pt"), "--data", "fashion-mnist"), 2,
            "batch-norm statistics Basin cannot recompute");
    }

    [Theory]
    [InlineData(2, "--mode must be checkpoint or retrain", "--mode", "network")]
    [InlineData(2, "--prior-sigma must be one of the grid", "--prior-sigma", "0.02")]
    [InlineData(2, "--objective must be quad, classic or kl", "--objective", "bbb")]
    [InlineData(2, "--prior-split must be between", "--prior-split", "1.5")]
    public void BadSettingsGiveOneClearLine(int code, string fragment, params string[] extra)
    {
        using var tmp = new TempFolder();
        var train = CliRunner.Run("train", "--data", Mixture, "--model", "mlp:6-8-3:relu", "--epochs", "1", "--out", tmp.Path);
        Assert.True(train.Code == 0, train.Error);
        var result = CliRunner.Run(["certify", "--checkpoint", tmp.Path, .. extra]);
        Assert.True(result.Code == code, $"exit {result.Code}: {result.Error}");
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("basin:", StringComparison.Ordinal));
        Assert.Contains(fragment, line);
    }
}
