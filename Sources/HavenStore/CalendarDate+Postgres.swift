import HavenCore
import Postgres

/// Calendar dates are PostgreSQL `date` values: parameters and columns of that type.
///
/// The conformance lives here, in the layer that imports both the domain (HavenCore, which knows no
/// database) and the driver (Postgres, which knows no domain type); the wire format is the driver's
/// `PostgresDateConvertible`. Any module that sends or reads a `CalendarDate` through Postgres
/// therefore depends on HavenStore, as every module that runs SQL already does.
extension CalendarDate: PostgresDateConvertible {}
