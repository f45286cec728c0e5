using System.Text.Json;
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
        var (code, output, error) = CliRunner.Run("certify", "--checkpoint", tmp.Path, "--prior-split", "0.5", "--prior-sigma", "0.1", "--epochs", "1", "--mc-draws", "300", "--json");
        Assert.True(code == 0, error);
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

        var text = CliRunner.Run("certify", "--checkpoint", tmp.Path, "--prior-split", "0.5", "--prior-sigma", "0.1", "--epochs", "1", "--mc-draws", "100");
        Assert.True(text.Code == 0, text.Error);
        Assert.StartsWith("risk certificate: with probability ≥ 0.965 the 0-1 test error of Q is ≤ ", text.Out);
    }

    [Theory]
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
