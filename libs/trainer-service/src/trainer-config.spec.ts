import { InvalidArgumentError } from '@x0/core';
import { checkAccuracyWindow } from './trainer-config';

describe('trainer config - accuracy window', () => {
  it('checkAccuracyWindow - a window smaller than TRAINER_MIN_SAMPLES is refused, naming both', () => {
    expect(() => checkAccuracyWindow({ TRAINER_ACCURACY_WINDOW: 20, TRAINER_MIN_SAMPLES: 30 })).toThrow(
      new InvalidArgumentError(
        'TRAINER_ACCURACY_WINDOW',
        'must be ≥ TRAINER_MIN_SAMPLES (30): a smaller window never holds enough labels for accuracy to be judged, got 20',
      ),
    );
    expect(() => checkAccuracyWindow({ TRAINER_ACCURACY_WINDOW: 30, TRAINER_MIN_SAMPLES: 30 })).not.toThrow();
  });
});
