// The trace and the top eigenvalues of a trained model's Hessian through Basin's public API, checked
// against the dense Hessian of the same small model (exit code 1 if they disagree).
//   dotnet run -c Release --project samples/CurvatureOfAModel
using Basin.Data;
using Basin.Estimators;
using Basin.Native;
using Basin.Operators;
using Basin.Training;
using static TorchSharp.torch;

TorchRuntime.Initialize();

// Train a small MLP on a synthetic 3-class Gaussian mixture (no download), deterministically from its seed.
var config = new TrainConfig { Model = "mlp:10-8-3", Data = "mixture:d=10,k=3,n=300", Epochs = 5, LearningRate = 0.1, Seed = 1 };
using var split = DataCatalog.Load(config.Data);
using var run = TrainingRun.Start(config, split.Train);
run.Train(split.Train, split.Test);
Console.WriteLine($"trained {run.Model.Spec} ({run.Model.ParameterCount} parameters): test error {100 * run.FinalLog.TestError:F1}%");

// The Hessian of the training loss over the whole training set, as a linear operator.
run.Model.Module.eval();
using var hessian = new HessianOperator(run.Model, CurvatureData.FromDataset(split.Train));
var trace = Hutchinson.Trace(hessian, new StoppingRule(MaxIterations: 400), seed: 7);
var top = Lanczos.TopEigenvalues(hessian, k: 3, steps: 60, seed: 7);
Console.WriteLine($"Tr H ≈ {trace.Value:G5} ± {trace.StandardError:G2} ({trace.Products} products)");
Console.WriteLine($"top eigenvalues ≈ {string.Join(", ", top.Values.Select(v => v.ToString("G6")))} ({top.Products} products)");

// The same from the dense matrix (P × P, fine for a small model).
using var identity = eye(hessian.Dimension, dtype: hessian.DType);
var dense = stack(Enumerable.Range(0, (int)hessian.Dimension).Select(j => hessian.Apply(identity[j])).ToArray(), 1).to(ScalarType.Float64);
double exactTrace = dense.trace().item<double>();
var exactTop = linalg.eigvalsh((dense + dense.t()) / 2).data<double>().ToArray().OrderDescending().Take(3).ToArray();
Console.WriteLine($"dense: Tr H = {exactTrace:G5}, top eigenvalues {string.Join(", ", exactTop.Select(v => v.ToString("G6")))}");

bool ok = Math.Abs(trace.Value - exactTrace) < 4 * trace.StandardError
    && top.Values.Zip(exactTop).All(p => Math.Abs(p.First - p.Second) < 1e-3 * Math.Abs(exactTop[0]));
Console.WriteLine(ok ? "agrees with the dense Hessian" : "DISAGREES with the dense Hessian");
return ok ? 0 : 1;
