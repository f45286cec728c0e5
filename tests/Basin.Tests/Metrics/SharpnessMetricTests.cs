using Basin.Data;
using Basin.Metrics;
using Basin.Models;
using Basin.Operators;
using Basin.Tests.Operators;
using TorchSharp;
using Xunit;
using static Basin.Tests.Metrics.MetricTestModels;
using static TorchSharp.torch;

namespace Basin.Tests.Metrics;

public class SharpnessMetricTests
{
    /// <summary>
    /// A loss exactly quadratic in the weights: a bias-free linear model with squared error, inputs
    /// s_j e_j, so the Hessian A is diagonal with a_(k,j) = s_j² n_j / N.
    /// </summary>
    private static (Model Model, Dataset Data) Quadratic()
    {
        var module = nn.Sequential(("0", nn.Linear(3, 2, hasBias: false)));
        SeededInit.Apply(module, 3);
        module.to(ScalarType.Float64);
        double[] scales = [0.5, 1.0, 2.0];
        int n = 12;
        var x = zeros(n, 3, ScalarType.Float64);
        var y = new long[n];
        for (int i = 0; i < n; i++) { x[i, i % 3] = scales[i % 3]; y[i] = i % 2; }
        var model = new Model(module, "quadratic", LossKind.MeanSquaredError, "nn.Linear(3, 2, bias=False)") { InputShape = [3], Outputs = 2 };
        return (model, new Dataset("quadratic", x, tensor(y), 2));
    }

    [Fact]
    public void ExpectedSharpnessIsHalfSigmaSquaredTraceOnAQuadratic()
    {
        using var scope = NewDisposeScope();
        var (model, data) = Quadratic();
        using (model)
        using (data)
        {
            using var h = new HessianOperator(model, CurvatureData.FromDataset(data));
            double trace = DenseReference.Matrix(h).trace().item<double>();
            var settings = new MeasureSettings { ExpectedSharpnessDraws = 12_000, ExpectedSharpnessSigma = 0.05, Seed = 1 };
            AssertWithin(Run(model, data, settings, "sharpness.expected"), 0.5 * 0.05 * 0.05 * trace);
        }
    }

    [Fact]
    public void KeskarSharpnessReachesTheWorstCornerOfTheBox()
    {
        using var scope = NewDisposeScope();
        var (model, data) = Quadratic();
        using (model)
        using (data)
        {
            using var h = new HessianOperator(model, CurvatureData.FromDataset(data));
            var a = DenseReference.Matrix(h).diagonal();
            var g = h.Gradient();
            double loss = h.Loss();
            var w = ParameterSelection.Flatten(model.Module.parameters().Select(p => p.detach()));
            const double eps = 1e-3;
            var b = (w.abs() + 1) * eps;
            // Separable quadratic: max over |z_i| ≤ b_i of g·z + ½ zᵀAz is Σ |g_i| b_i + ½ a_i b_i².
            double increase = (g.abs() * b + a * b.square() * 0.5).sum().item<double>();
            var r = Run(model, data, new MeasureSettings { KeskarEpsilon = eps, KeskarSteps = 20 }, "sharpness.keskar");
            AssertClose(r, 100 * increase / (1 + loss), 1e-8);
            // Three starts by default (z = 0 and two in the box), whose spread is the error; one start (an old study) has none.
            Assert.Equal("3", r.Settings["starts"]);
            Assert.True(double.IsFinite(r.StandardError) && r.StandardError >= 0, $"s.e. {r.StandardError}");
            Assert.True(r.Value >= r.Terms["phi_first_start"] - 1e-12);
            var one = Run(model, data, new MeasureSettings { KeskarEpsilon = eps, KeskarSteps = 20, KeskarRestarts = 1 }, "sharpness.keskar");
            AssertClose(one, 100 * increase / (1 + loss), 1e-8);
            Assert.True(double.IsNaN(one.StandardError));
        }
    }
}
