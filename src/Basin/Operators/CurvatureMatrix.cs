using Basin.Models;

namespace Basin.Operators;

/// <summary>Which curvature matrix of the training loss an analysis is of.</summary>
public enum CurvatureMatrix
{
    /// <summary>The Hessian ∇²L(w) (<see cref="HessianOperator"/>).</summary>
    Hessian,

    /// <summary>The generalized Gauss-Newton matrix JᵀH_f J (<see cref="GgnOperator"/>), positive semi-definite.</summary>
    Ggn,

    /// <summary>The empirical Fisher, the mean of per-sample gradient outer products (<see cref="EmpiricalFisherOperator"/>; seed 001 eq. 2).</summary>
    Fisher,
}

/// <summary>Builds the operator of a <see cref="CurvatureMatrix"/>.</summary>
public static class CurvatureMatrices
{
    /// <summary>The operator of <paramref name="matrix"/> for <paramref name="model"/> on <paramref name="data"/>; the caller owns it.</summary>
    public static CurvatureOperator Create(CurvatureMatrix matrix, Model model, CurvatureData data, OperatorOptions? options = null) => matrix switch
    {
        CurvatureMatrix.Hessian => new HessianOperator(model, data, options),
        CurvatureMatrix.Ggn => new GgnOperator(model, data, options),
        CurvatureMatrix.Fisher => new EmpiricalFisherOperator(model, data, options),
        _ => throw new ArgumentOutOfRangeException(nameof(matrix), matrix, "no such curvature matrix"),
    };

    /// <summary>Its name in text: Hessian, GGN, Fisher.</summary>
    public static string Label(this CurvatureMatrix matrix) => matrix switch { CurvatureMatrix.Ggn => "GGN", CurvatureMatrix.Fisher => "Fisher", _ => "Hessian" };
}
