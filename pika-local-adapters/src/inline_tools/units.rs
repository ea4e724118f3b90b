//! `convert_units`: length (m, km, mi, ft, in), mass (kg, lb, g, oz) and
//! temperature (C, F, K).

use pika_ports::PortError;
use serde_json::{json, Value};

/// What a unit measures.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Dimension {
    Length,
    Mass,
    Temperature,
}

impl Dimension {
    fn as_str(self) -> &'static str {
        match self {
            Self::Length => "length",
            Self::Mass => "mass",
            Self::Temperature => "temperature",
        }
    }
}

/// A unit: its canonical symbol, what it measures, and for length and mass
/// its size in the base unit (metre, kilogram).
#[derive(Clone, Copy, Debug)]
struct Unit {
    symbol: &'static str,
    dimension: Dimension,
    factor: f64,
}

const fn unit(symbol: &'static str, dimension: Dimension, factor: f64) -> Unit {
    Unit {
        symbol,
        dimension,
        factor,
    }
}

/// Known units with their accepted spellings (compared case-insensitively,
/// except where case matters, see [`lookup`]).
const UNITS: &[(Unit, &[&str])] = &[
    (
        unit("m", Dimension::Length, 1.0),
        &["m", "meter", "meters", "metre", "metres"],
    ),
    (
        unit("km", Dimension::Length, 1000.0),
        &["km", "kilometer", "kilometers", "kilometre", "kilometres"],
    ),
    (
        unit("mi", Dimension::Length, 1609.344),
        &["mi", "mile", "miles"],
    ),
    (
        unit("ft", Dimension::Length, 0.3048),
        &["ft", "foot", "feet"],
    ),
    (
        unit("in", Dimension::Length, 0.0254),
        &["in", "inch", "inches"],
    ),
    (
        unit("kg", Dimension::Mass, 1.0),
        &["kg", "kilogram", "kilograms", "kilo", "kilos"],
    ),
    (unit("g", Dimension::Mass, 0.001), &["g", "gram", "grams"]),
    (
        unit("lb", Dimension::Mass, 0.453_592_37),
        &["lb", "lbs", "pound", "pounds"],
    ),
    (
        unit("oz", Dimension::Mass, 0.028_349_523_125),
        &["oz", "ounce", "ounces"],
    ),
    (
        unit("C", Dimension::Temperature, 1.0),
        &["c", "°c", "celsius", "degc"],
    ),
    (
        unit("F", Dimension::Temperature, 1.0),
        &["f", "°f", "fahrenheit", "degf"],
    ),
    (
        unit("K", Dimension::Temperature, 1.0),
        &["k", "kelvin", "kelvins"],
    ),
];

/// The unit spelled `raw`.
fn lookup(raw: &str) -> Result<Unit, PortError> {
    let wanted = raw.trim().to_lowercase();
    UNITS
        .iter()
        .find(|(_, spellings)| spellings.iter().any(|s| *s == wanted))
        .map(|(u, _)| *u)
        .ok_or_else(|| {
            PortError::invalid(format!(
                "unknown unit '{raw}': known units are length m, km, mi, ft, in; \
                 mass kg, g, lb, oz; temperature C, F, K"
            ))
        })
}

/// Runs `convert_units` on `{ "value": number, "from": unit, "to": unit }`.
pub(super) fn convert_units(input: &Value) -> Result<Value, PortError> {
    let value = match input.get("value") {
        Some(Value::Number(n)) => n.as_f64(),
        // Small models often quote numbers.
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|v| v.is_finite())
    .ok_or_else(|| PortError::invalid("'value' must be a number, e.g. {\"value\": 12.5}"))?;
    let unit_of = |key: &str| match input.get(key) {
        Some(Value::String(s)) => lookup(s),
        _ => Err(PortError::invalid(format!(
            "'{key}' must be a unit name such as \"km\", \"lb\" or \"C\""
        ))),
    };
    let from = unit_of("from")?;
    let to = unit_of("to")?;
    if from.dimension != to.dimension {
        return Err(PortError::invalid(format!(
            "cannot convert {} ({}) to {} ({})",
            from.symbol,
            from.dimension.as_str(),
            to.symbol,
            to.dimension.as_str()
        )));
    }
    let converted = if from.dimension == Dimension::Temperature {
        let kelvin = to_kelvin(from.symbol, value);
        if kelvin < 0.0 {
            return Err(PortError::invalid(format!(
                "{value} {} is below absolute zero",
                from.symbol
            )));
        }
        from_kelvin(to.symbol, kelvin)
    } else {
        value * from.factor / to.factor
    };
    Ok(json!({
        "value": round(converted),
        "unit": to.symbol,
        "input": { "value": value, "unit": from.symbol },
        "dimension": from.dimension.as_str(),
    }))
}

fn to_kelvin(symbol: &str, value: f64) -> f64 {
    match symbol {
        "C" => value + 273.15,
        "F" => (value - 32.0) * 5.0 / 9.0 + 273.15,
        _ => value,
    }
}

fn from_kelvin(symbol: &str, kelvin: f64) -> f64 {
    match symbol {
        "C" => kelvin - 273.15,
        "F" => (kelvin - 273.15) * 9.0 / 5.0 + 32.0,
        _ => kelvin,
    }
}

/// Rounds to 10 significant digits, which hides floating-point noise
/// (`0.30480000000000002`) and keeps more precision than a chat answer needs.
fn round(value: f64) -> f64 {
    if !value.is_finite() {
        return value;
    }
    if value == 0.0 {
        return 0.0; // never "-0"
    }
    // |value| < 1e308, so the magnitude fits an i32 easily.
    let magnitude = value.abs().log10().floor() as i32;
    let decimals = 9 - magnitude;
    if decimals <= 0 {
        return value;
    }
    let scale = 10_f64.powi(decimals.min(15));
    // Adding 0.0 turns a rounded -0.0 into 0.0.
    (value * scale).round() / scale + 0.0
}
