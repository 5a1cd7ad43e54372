import Foundation
import GRDB

/// The date strategies of every record of the store: dates are written and read in the
/// single ``Timestamp`` text form, so that a date read back from any table compares equal to
/// the one that was written (to the millisecond) and `sqlite3` shows readable dates.
///
/// Each record declares them itself (`public`, as GRDB's protocols are public), delegating here.
enum StoredDates {
    static let encoding = DatabaseDateEncodingStrategy.custom { Timestamp.text($0) }
    static let decoding = DatabaseDateDecodingStrategy.custom { value in
        String.fromDatabaseValue(value).flatMap(Timestamp.date(text:))
    }
}
