// Test helper: the dashboard read stores of the API on a test dynalite (timeline, predictions, drift runs).
import { DynamoAnomalyStore } from '../../shared/adapters/dynamodb-anomaly-store';
import { DynamoDriftStore } from '../../shared/adapters/dynamodb-drift-store';
import { DynamoPredictionStore } from '../../shared/adapters/dynamodb-prediction-store';
import type { TestDynamo } from './dynalite';

/** The `timeline`, `predictions` and `drift` stores of `ApiDeps` on the test tables. */
export function readStores(db: TestDynamo) {
  return {
    timeline: new DynamoAnomalyStore({ client: db.doc, tableName: db.tables.anomalies }),
    predictions: new DynamoPredictionStore({ client: db.doc, tableName: db.tables.predictions }),
    drift: new DynamoDriftStore({ client: db.doc, tableName: db.tables.control }),
  };
}
